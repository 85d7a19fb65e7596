-- Records that a client network signed an identity in by other means than a code (an admitted password sign-in), as
-- otp-verify.lua records a verified code's: the network stays open to the identity beyond its ceilings across
-- networks (pending codes, wrong codes, the sends from networks that never signed it in) for ARGV[2] ms.
--
-- KEYS[1] the networks that signed this identity in: zset {network -> last sign-in ms}, the 50 newest of ARGV[2]
-- ARGV: 1 network name, 2 how long a network stays signed in, ms

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local signed_in_ms = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - signed_in_ms)
local kept = redis.call('ZCARD', KEYS[1])
if kept > 50 then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, kept - 51)
end
redis.call('PEXPIRE', KEYS[1], signed_in_ms)
return 1
