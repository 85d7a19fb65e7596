-- Password logins: a challenge (POST /auth/challenge, purpose "login"), then the login with its token (POST
-- /auth/login), for the users of $WRK_USERS (one email a line) with the password $WRK_PASSWORD, as the app
-- $WRK_APP_ID / $WRK_APP_SECRET. Run it with one connection a thread (-tN -cN, N = $WRK_CONNECTIONS): each thread's
-- connection then alternates a challenge and its login, and knows whose token it holds. Thread i takes users i,
-- i + N, i + 2N... in turn. done() writes {"logins", "failures", "duration_us"} to $WRK_OUT: logins answered 200, and
-- every other answer to either call.
package.path = os.getenv("WRK_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")

local threads = {}
local started = 0

function setup(thread)
  thread:set("index", started)
  started = started + 1
  table.insert(threads, thread)
end

local emails = {}
local stride
local user
local email
local token
local pending
local credentials
local password
local json = { ["Content-Type"] = "application/json" }
logins = 0
failures = 0

function init(args)
  for line in io.lines(os.getenv("WRK_USERS")) do
    if line ~= "" then emails[#emails + 1] = line end
  end
  assert(#emails > 0, "no users in " .. os.getenv("WRK_USERS"))
  stride = tonumber(os.getenv("WRK_CONNECTIONS"))
  user = index % #emails
  credentials = string.format('"app_id":"%s","app_secret":"%s"', os.getenv("WRK_APP_ID"), os.getenv("WRK_APP_SECRET"))
  password = os.getenv("WRK_PASSWORD")
end

function request()
  if token then
    local body = string.format('{%s,"email":"%s","password":"%s","challenge_token":"%s"}', credentials, email,
      password, token)
    token = nil
    pending = "login"
    return wrk.format("POST", "/auth/login", json, body)
  end
  email = emails[user + 1]
  user = (user + stride) % #emails
  pending = "challenge"
  return wrk.format("POST", "/auth/challenge", json,
    string.format('{%s,"purpose":"login","email":"%s"}', credentials, email))
end

function response(status, headers, body)
  if pending == "challenge" then
    token = status == 200 and body:match('"challenge_token"%s*:%s*"([^"]+)"') or nil
    if not token then failures = failures + 1 end
  elseif status == 200 then
    logins = logins + 1
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("logins")
    failed = failed + thread:get("failures")
  end
  report.write(string.format('{"logins":%d,"failures":%d,"duration_us":%d}', total, failed, summary.duration))
end
