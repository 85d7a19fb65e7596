-- Whether a password may be checked now, reserving the attempt if so: not while the identity is locked out from
-- this client network, not while the network is over its failure limit across identities, and not when the
-- attempts already being checked would, if all wrong, take either past its limit. An attempt in flight counts as
-- a failure until it ends (password-login-failure.lua or password-login-settle.lua), so concurrent guesses cannot
-- check more passwords than the limits allow.
--
-- KEYS[1] identity state (see password-login-failure.lua; p:<net> attempts in flight, pe:<net> when they lapse)
-- KEYS[2] failures from the client network, KEYS[3] attempts in flight from the client network
-- ARGV: 1 client network name (or 'none'), 2 network failure limit (0: no limit, no client IP),
--       3 failures that lock the identity out from a network, 4 how long a reservation lasts at most (ms),
--       5 '1' when this check may be refused, '0' when it is only reserved: a password change, whose guesses its
--         session bounds (password-change-reserve.lua), so that strangers' failures never stop a token holder's change
-- Returns {'ok'}, {'locked', retry_after_ms}, {'network', retry_after_ms} or {'busy', retry_after_ms}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state, net = KEYS[1], ARGV[1]
local ttl = tonumber(ARGV[4])
local refusable = ARGV[5] == '1'
local locked_until = tonumber(redis.call('HGET', state, 'nl:' .. net) or 0)
if refusable and locked_until > now then
  return {'locked', locked_until - now}
end

local function live(field, ends)
  if tonumber(redis.call('HGET', state, ends) or 0) > now then
    return tonumber(redis.call('HGET', state, field) or 0)
  end
  return 0
end
local pending = live('p:' .. net, 'pe:' .. net)
if refusable and live('n:' .. net, 'ne:' .. net) + pending >= tonumber(ARGV[3]) then
  return {'busy', 1000}
end

local limit = tonumber(ARGV[2])
if limit > 0 then
  local failures = tonumber(redis.call('GET', KEYS[2]) or 0)
  if refusable and failures + tonumber(redis.call('GET', KEYS[3]) or 0) >= limit then
    return {'network', failures >= limit and math.max(1, redis.call('PTTL', KEYS[2])) or 1000}
  end
  redis.call('INCR', KEYS[3])
  redis.call('PEXPIRE', KEYS[3], ttl)
end
redis.call('HSET', state, 'p:' .. net, pending + 1, 'pe:' .. net, now + ttl)
if redis.call('PTTL', state) < ttl then
  redis.call('PEXPIRE', state, ttl)
end
return {'ok'}
