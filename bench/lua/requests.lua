-- wrk script of the benchmark: wrk -s requests.lua URL -- MODE DATAFILE THREADS
--   floor: POST /bench/floor
--   sync:  POST /api/connections/<id>/sync, as the id's owner (each line: "<token> <id>")
--   jobs:  GET /api/jobs?entity_type=connection&entity_id=<id>, as the id's owner
-- Each thread walks its own stride of the lines; done() prints one JSON line.

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]
  local path = args[2]
  stride = tonumber(args[3]) or 1
  tokens, ids = {}, {}
  if path ~= nil and path ~= "" and path ~= "-" then
    for line in io.lines(path) do
      local token, id = line:match("^(%S+)%s+(%S+)$")
      if token then
        tokens[#tokens + 1] = token
        ids[#ids + 1] = id
      end
    end
  end
  position = thread_index + 1
  wrapped = 0
  n200, n201, n202, nother, last_other = 0, 0, 0, 0, 0
end

local function next_line()
  local index = position
  position = position + stride
  if position > #ids then
    position = thread_index + 1
    wrapped = wrapped + 1
  end
  return index
end

function request()
  if mode == "floor" then
    return wrk.format("POST", "/bench/floor", nil, "")
  end
  local index = next_line()
  local headers = { ["Authorization"] = "Bearer " .. tokens[index] }
  if mode == "sync" then
    return wrk.format("POST", "/api/connections/" .. ids[index] .. "/sync", headers, "")
  end
  return wrk.format("GET", "/api/jobs?entity_type=connection&entity_id=" .. ids[index], headers)
end

function response(status, headers, body)
  if status == 200 then
    n200 = n200 + 1
  elseif status == 201 then
    n201 = n201 + 1
  elseif status == 202 then
    n202 = n202 + 1
  else
    nother = nother + 1
    last_other = status
  end
end

function done(summary, latency, requests)
  local c = { n200 = 0, n201 = 0, n202 = 0, nother = 0, wrapped = 0, last_other = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(c) do
      local value = thread:get(key) or 0
      if key == "last_other" then
        if value ~= 0 then c[key] = value end
      else
        c[key] = c[key] + value
      end
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, '
      .. '"status": {"200": %d, "201": %d, "202": %d, "other": %d, "last_other": %d}, '
      .. '"wrapped": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean,
    c.n200, c.n201, c.n202, c.nother, c.last_other, c.wrapped))
end
