-- Shared by every benchmark script: wrk calls done() once at the end of a run,
-- and this prints one machine-readable line that bench/run.py parses.

local function report(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      "BENCH-RESULT {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d,"
         .. " \"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d,"
         .. " \"connect_errors\": %d, \"read_errors\": %d, \"write_errors\": %d,"
         .. " \"status_errors\": %d, \"timeouts\": %d}\n",
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(99), latency.max,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end

return report
