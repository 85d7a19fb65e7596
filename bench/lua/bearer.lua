-- GET <path> with "Authorization: Bearer <token>", cycling through the tokens in $WRK_TOKENS (one a line).
-- Used for Portcullis /auth/me, Keycloak userinfo and the bare JSON baseline.
package.path = os.getenv("WRK_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")

local tokens = {}
local index = 0
local path = os.getenv("WRK_PATH") or "/auth/me"

function init(args)
  local file = assert(io.open(os.getenv("WRK_TOKENS"), "r"))
  for line in file:lines() do
    if line ~= "" then tokens[#tokens + 1] = line end
  end
  file:close()
  assert(#tokens > 0, "no tokens in " .. os.getenv("WRK_TOKENS"))
  index = math.random(#tokens)
end

function request()
  index = index % #tokens + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. tokens[index] })
end

done = report.done
