-- wrk script for scripts/bench 7: requests to awsdo --server's credential endpoint.
--
--   BENCH_WRK_PATH=/path BENCH_WRK_TOKEN=token wrk -t2 -c50 -dNs -s bench/wrk.lua http://127.0.0.1:PORT
--
-- Path and token come from the environment, never the command line (the token is a secret).
-- Prints one line when done:
--   wrk REQUESTS NOT_2XX_OR_3XX SOCKET_ERRORS P50_US P99_US MAX_US
-- Latency is wrk's: from writing the request to reading the whole answer; the helper closes
-- every connection after its answer, so wrk reconnects before each request (not timed).
wrk.method = "GET"
wrk.path = os.getenv("BENCH_WRK_PATH")
wrk.headers["Authorization"] = os.getenv("BENCH_WRK_TOKEN")
wrk.headers["Accept"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk %d %d %d %d %d %d\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99),
    latency.max))
end
