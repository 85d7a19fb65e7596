-- Shared by every wrk script: writes the run's figures as JSON to $WRK_OUT (latencies in microseconds).
local M = {}

-- Writes one JSON line to $WRK_OUT (when set) and to standard output.
function M.write(json)
  local out = os.getenv("WRK_OUT")
  if out and out ~= "" then
    local f = assert(io.open(out, "w"))
    f:write(json, "\n")
    f:close()
  end
  io.write(json, "\n")
end

function M.done(summary, latency, requests)
  local e = summary.errors
  local json = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean)
  M.write(json)
end

return M
