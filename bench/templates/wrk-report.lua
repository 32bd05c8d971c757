-- Prints one machine-readable line with the figures the harness needs (latency in microseconds).
-- When COUNT_STATUS is true it also counts every non-200 response and the X-Backend values seen
-- (a per-response Lua callback: only used where exact counts matter, section 5).
local threads = {}
COUNT_STATUS = ${count_status}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  seen_a = 0
  seen_b = 0
  ok200 = 0
end

if COUNT_STATUS then
  function response(status, headers, body)
    if status == 200 then ok200 = ok200 + 1 else non200 = non200 + 1 end
    local b = headers["X-Backend"] or headers["x-backend"]
    if b == "a" then seen_a = seen_a + 1 elseif b == "b" then seen_b = seen_b + 1 end
  end
end

function done(summary, latency, requests)
  local n, a, b, ok = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    n = n + (t:get("non200") or 0)
    a = a + (t:get("seen_a") or 0)
    b = b + (t:get("seen_b") or 0)
    ok = ok + (t:get("ok200") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"mean_us":%.1f,"max_us":%d,"non200":%d,"ok200":%d,"seen_a":%d,"seen_b":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max, n, ok, a, b))
end
