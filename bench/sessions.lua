-- SPDX-License-Identifier: BSD-3-Clause
-- wrk script: requests carry the pre-made session cookies (CS_COOKIES), picked in
-- one of two ways (CS_PICK):
--   in turn (default): each wrk thread has its own slice of the pool (CS_THREADS
--     slices) and a thread's connections take consecutive cookies of that share,
--     so no session ever has two requests in flight: like users who click one page
--     at a time, the run measures the handlers, not waits for a session's lock;
--   random: each request a cookie picked at random from the whole pool, so
--     requests of one session meet in flight now and then, as on pages with AJAX
--     calls: the run measures how handlers serve parallel requests of one session.
-- The summary is printed as one JSON line.
local cookies = {}
for line in io.lines(os.getenv("CS_COOKIES")) do cookies[#cookies + 1] = line end
local threads = tonumber(os.getenv("CS_THREADS") or "1")
local random_pick = os.getenv("CS_PICK") == "random"
local next_index = 0
assert(#cookies >= threads, "fewer cookies than wrk threads")

function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
end

function init(args)
  share = math.floor(#cookies / threads)
  first = (thread_index or 0) * share
  position = 0
  -- Each thread its own random sequence, the same in every run.
  math.randomseed(7919 * ((thread_index or 0) + 1))
end

function request()
  local cookie
  if random_pick then
    cookie = cookies[math.random(#cookies)]
  else
    position = position + 1
    cookie = cookies[first + (position % share) + 1]
  end
  return wrk.format("GET", wrk.path, { ["Cookie"] = "PHPSESSID=" .. cookie })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
