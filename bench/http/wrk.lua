-- The requests of one HTTP figure, for wrk (bench/http/run.py):
--   wrk ... -s wrk.lua URL -- introspect AUTH TOKEN
--   wrk ... -s wrk.lua URL -- resource   PATH ACCESS_TOKEN
--   wrk ... -s wrk.lua URL -- password   AUTH FORM_BODY
--   wrk ... -s wrk.lua URL -- refresh    AUTH TOKENS_FILE
-- Refresh rotates: each answer's new refresh token is sent next (a queue of
-- as many live tokens as connections and a few more), so every request is
-- a real rotation; an answer without one loses its place, and the request
-- that finds the queue empty sends a spent token (counted as non-2xx).
-- done() prints one JSON line: requests, non-2xx, socket errors, p50, p99.
local FORM = "application/x-www-form-urlencoded"
local req
local queue = {}
local auth

function init(args)
  local mode = args[1]
  if mode == "introspect" then
    req = wrk.format("POST", "/introspect", { ["Content-Type"] = FORM, ["Authorization"] = args[2] },
      "token=" .. args[3])
  elseif mode == "resource" then
    req = wrk.format("GET", args[2], { ["Authorization"] = "Bearer " .. args[3] })
  elseif mode == "password" then
    req = wrk.format("POST", "/token", { ["Content-Type"] = FORM, ["Authorization"] = args[2] }, args[3])
  elseif mode == "refresh" then
    auth = args[2]
    for line in io.lines(args[3]) do
      queue[#queue + 1] = line
    end
    response = function(status, headers, body)
      local t = body and body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if t then
        queue[#queue + 1] = t
      end
    end
  else
    error("unknown mode " .. tostring(mode))
  end
end

function request()
  if req then
    return req
  end
  local t = table.remove(queue, 1) or "spent"
  return wrk.format("POST", "/token", { ["Content-Type"] = FORM, ["Authorization"] = auth },
    "grant_type=refresh_token&refresh_token=" .. t)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
