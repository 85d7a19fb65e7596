-- A resent verification code takes over the identity's pending signup: the pending signup now belongs to the
-- new verification id and lives as long as its code.
--
-- KEYS[1] the pending signup (see password-signup-take.lua)
-- ARGV: 1 the new verification id, 2 time to live ms
-- Returns 1 when there was a pending signup, else 0.

local pending = redis.call('GET', KEYS[1])
if not pending then
  return 0
end
local decoded = cjson.decode(pending)
decoded['verification_id'] = ARGV[1]
redis.call('SET', KEYS[1], cjson.encode(decoded), 'PX', ARGV[2])
return 1
