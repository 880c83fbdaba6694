-- SPDX-License-Identifier: BSD-3-Clause
-- wrk script: each request carries a session cookie picked at random from the
-- whole pool, so requests of one session meet in flight now and then, as on pages
-- with AJAX calls: the run then measures how the handlers serve parallel requests
-- of one session (waiting for its lock, or not locking at all), next to
-- sessions.lua's one-request-at-a-time users. The summary is printed as one JSON line.
local cookies = {}
for line in io.lines(os.getenv("CS_COOKIES")) do cookies[#cookies + 1] = line end
local next_index = 0

function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
end

function init(args)
  -- Each thread its own sequence, the same in every run.
  math.randomseed(7919 * ((thread_index or 0) + 1))
end

function request()
  local cookie = cookies[math.random(#cookies)]
  return wrk.format("GET", wrk.path, { ["Cookie"] = "PHPSESSID=" .. cookie })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
