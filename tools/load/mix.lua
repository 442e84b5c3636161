-- wrk script for examples/beast/http_offload: one request in EVERY (default
-- 10) is CPU-heavy (HEAVY, default /compute?n=500000, about 1 ms of work), the
-- rest are /hello; EVERY=1: all heavy, EVERY=0: all /hello. Counts non-200
-- answers and prints p50/p90/p99 in microseconds.
local heavy = os.getenv("HEAVY") or "/compute?n=500000"
local every = tonumber(os.getenv("EVERY") or "10")
local counter = 0
request = function()
  counter = counter + 1
  if every > 0 and counter % every == 0 then
    return wrk.format("GET", heavy)
  end
  return wrk.format("GET", "/hello")
end

local bad = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout))
end
