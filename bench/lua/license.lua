-- POST <path> with a JSON body, cycling through the bodies in $WRK_BODIES (one a line).
-- Used for Portcullis /licenses/verify: each body is {app_id, key, fingerprint} of an activated device.
package.path = os.getenv("WRK_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")

local bodies = {}
local index = 0
local path = os.getenv("WRK_PATH") or "/licenses/verify"

function init(args)
  local file = assert(io.open(os.getenv("WRK_BODIES"), "r"))
  for line in file:lines() do
    if line ~= "" then bodies[#bodies + 1] = line end
  end
  file:close()
  assert(#bodies > 0, "no bodies in " .. os.getenv("WRK_BODIES"))
  index = math.random(#bodies)
end

function request()
  index = index % #bodies + 1
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, bodies[index])
end

done = report.done
