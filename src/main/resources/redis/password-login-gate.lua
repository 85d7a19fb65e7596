-- Whether a password login may be tried at all: not while the identity is locked out from this client network,
-- not while the network is over its failure limit across identities.
--
-- KEYS[1] identity state (see password-challenge-counts.lua), KEYS[2] failures from the client network
-- ARGV: 1 client network name (or 'none'), 2 network failure limit (0: no limit, no client IP)
-- Returns {'ok'}, {'locked', retry_after_ms} or {'network', retry_after_ms}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'nl:' .. ARGV[1]) or 0)
if locked_until > now then
  return {'locked', locked_until - now}
end
local limit = tonumber(ARGV[2])
if limit > 0 and tonumber(redis.call('GET', KEYS[2]) or 0) >= limit then
  return {'network', math.max(1, redis.call('PTTL', KEYS[2]))}
end
return {'ok'}
