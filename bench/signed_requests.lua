-- wrk script: POST pre-signed Twilio webhooks, one line each in the file given after `--` ("signature<TAB>body"),
-- in order (run wrk with one thread); an optional second argument is a pause in ms after each response (a lighter
-- load). At the end, one JSON line with the counts and the latency percentiles in microseconds.
local requests, index, pause = {}, 0, 0

init = function(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local signature, body = line:match("^([^\t]*)\t(.*)$")
    local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Twilio-Signature"] = signature }
    requests[#requests + 1] = wrk.format("POST", "/webhooks/twilio/whatsapp", headers, body)
  end
  file:close()
  pause = tonumber(args[2] or "0")
end

request = function()
  index = index % #requests + 1
  return requests[index]
end

delay = function()
  return pause
end

done = function(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    '{"completed": %d, "duration_us": %d, "non_2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, errors.status, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
