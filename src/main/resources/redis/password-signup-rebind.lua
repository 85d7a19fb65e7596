-- A resent verification code takes over the identity's pending signup: the pending signup now belongs to the
-- new verification id and lives as long as its code.
--
-- A resend of one verification id moves on only that verification's signup: a pending signup that a newer
-- signup replaced carries a stranger's password, which the code sent to the identity must never apply.
--
-- KEYS[1] the pending signup (see password-signup-take.lua)
-- ARGV: 1 the new verification id, 2 time to live ms, 3 the verification id resent ('' for a resend by identity,
--       which moves on no contested signup: see password-signup-put.lua)
-- Returns 1 when a pending signup moved on, else 0.

local pending = redis.call('GET', KEYS[1])
if not pending then
  return 0
end
local decoded = cjson.decode(pending)
if ARGV[3] ~= '' and decoded['verification_id'] ~= ARGV[3] then
  return 0
end
if ARGV[3] == '' and decoded['contested'] ~= false then
  return 0
end
decoded['verification_id'] = ARGV[1]
redis.call('SET', KEYS[1], cjson.encode(decoded), 'PX', ARGV[2])
return 1
