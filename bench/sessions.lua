-- wrk script: each request carries one of the pre-made session cookies in turn,
-- and the summary is printed as one JSON line for bench/run.py.
local cookies = {}
for line in io.lines(os.getenv("CS_COOKIES")) do cookies[#cookies + 1] = line end
local next_index = 0

function setup(thread)
  thread:set("offset", next_index)
  next_index = next_index + 37
end

function init(args)
  position = offset or 0
end

function request()
  position = position + 1
  local cookie = cookies[(position % #cookies) + 1]
  return wrk.format("GET", wrk.path, { ["Cookie"] = "PHPSESSID=" .. cookie })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
