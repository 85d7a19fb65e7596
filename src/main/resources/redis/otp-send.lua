-- Issues a code for an identity, or refuses it, in one atomic step. Lock-outs, the resend cooldown, the hourly
-- send limit and code replacement are keyed on the identity AND the requesting client network, so a stranger
-- elsewhere cannot lock a user out, spend the user's sends or cancel the user's code. Across networks, an
-- identity has at most ARGV[16] pending codes and ARGV[17] wrong codes an hour, and is sent at most ARGV[23] codes
-- an hour by networks that never signed it in; beyond them, networks that never signed this identity in are refused
-- (networks that have, stay open, and their sends do not count on ARGV[23]). Then the hourly limits per client
-- network (or the app's bucket of requests without a client IP), per app (and for an anonymous send, the share of
-- it such sends may spend), and the app's SMS budgets (in total and per country). Only an accepted send counts or
-- writes anything.
--
-- KEYS[1] identity+network state: hash {current, cooldown_until, failures, lockouts, locked_until}
-- KEYS[2] mailbox+network sends (an identity's mailbox: its +tag variants too), KEYS[3] client network sends,
-- KEYS[4] app sends: hashes {bucket -> count}
-- KEYS[5] the new request: hash {identity, name, net, mac, attempts, max}
-- KEYS[6] the identity's pending codes: zset {request id -> expiry ms}
-- KEYS[7] the identity's wrong codes: hash {bucket -> count}
-- KEYS[8] the networks that signed this identity in, as an earlier release kept them: set (read only)
-- KEYS[9] the app's SMS sends, KEYS[10] the app's SMS sends to this country: hashes {bucket -> count}
-- KEYS[11] the request this send replaces: the one KEYS[1]'s 'current' named when the caller read it (KEYS[5]
--          when it named none)
-- KEYS[12] the networks that signed this identity in: zset {network -> last sign-in ms}
-- KEYS[13] the app's anonymous sends (its hosted pages', the console's to identities that are no owner's): hashes
--          {bucket -> count}
-- KEYS[14] the identity's sends from networks that never signed it in, across all of them: hash {bucket -> count}
-- ARGV: 1 the request id KEYS[1]'s 'current' held when the caller read it ('' for none), 2 request id,
--       3 identity, 4 identity name, 5 code mac, 6 max attempts, 7 code ttl ms, 8 cooldown ms,
--       9 mailbox+network limit, 10 network limit, 11 app limit, 12 window ms, 13 bucket ms, 14 (unused: the
--       state lives as long as its code and cooldown, or as verify's failures keep it),
--       15 network name ('none' without a client IP), 16 pending codes per identity, 17 wrong codes per identity
--       and hour, 18 SMS limit (0: not an SMS), 19 SMS limit per country (0: not an SMS), 20 how long a network
--       stays signed in, ms, 21 the anonymous sends' share of the app limit (-1: not an anonymous send; 0: they get
--       none), 22 '1' when an anonymous send from a network that signed the identity in does not count on it
--       (the console's), else '0', 23 sends an hour to the identity from networks that never signed it in
-- Returns {'ok'}, {'refused', reason, retry_after_ms}, or {'stale'} when 'current' changed since the caller read it
-- (a concurrent send): nothing was written, and the caller reads it again and retries.
--
-- Every key the script touches is in KEYS, the previous request's too, so that Redis Cluster sees them all: while
-- the app's slot migrates, a node lacking some of them answers TRYAGAIN instead of running the script without them.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[12])
local bucket = tonumber(ARGV[13])
local current_bucket = math.floor(now / bucket)
local first_bucket = current_bucket - math.floor(window / bucket) + 1

-- Counts in the sliding window; drops buckets that left it. Returns the total and the live buckets, oldest first.
local function sends(key)
  local fields = redis.call('HGETALL', key)
  local total, live = 0, {}
  for i = 1, #fields, 2 do
    local b, c = tonumber(fields[i]), tonumber(fields[i + 1])
    if b < first_bucket then
      redis.call('HDEL', key, fields[i])
    else
      total = total + c
      live[#live + 1] = {b, c}
    end
  end
  table.sort(live, function(x, y) return x[1] < y[1] end)
  return total, live
end

-- How long until enough of the oldest counts leave the window for one more to fit under the limit.
local function retry_after(total, live, limit)
  for _, entry in ipairs(live) do
    total = total - entry[2]
    if total < limit then
      return (entry[1] + math.floor(window / bucket)) * bucket - now
    end
  end
  return window
end

local state = KEYS[1]
local network = ARGV[15]
local locked_until = tonumber(redis.call('HGET', state, 'locked_until') or 0)
if locked_until > now then
  return {'refused', 'lockout', locked_until - now}
end
local cooldown_until = tonumber(redis.call('HGET', state, 'cooldown_until') or 0)
if cooldown_until > now then
  return {'refused', 'cooldown', cooldown_until - now}
end

local previous = redis.call('HGET', state, 'current')
if (previous or '') ~= ARGV[1] then
  return {'stale'}
end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
local signed_at = tonumber(redis.call('ZSCORE', KEYS[12], network) or 0)
local trusted = network ~= 'none' and (signed_at > now - tonumber(ARGV[20])
  or redis.call('SISMEMBER', KEYS[8], network) == 1)
if not trusted then
  local max_wrong = tonumber(ARGV[17])
  local wrong, live = sends(KEYS[7])
  if wrong >= max_wrong then
    return {'refused', 'identity_failures', retry_after(wrong, live, max_wrong)}
  end
  local pending = redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES')
  local others, earliest = 0, nil
  for i = 1, #pending, 2 do
    if pending[i] ~= previous then
      others = others + 1
      local expiry = tonumber(pending[i + 1])
      if earliest == nil or expiry < earliest then
        earliest = expiry
      end
    end
  end
  -- Sends from networks that never signed this identity in, across all of them. The per-network hourly limit
  -- alone let a stranger rotating networks (an IPv6 /48 holds 65,536 /64s) have a code or a signup notice sent to
  -- one address every time a pending code expired: about 120 emails an hour (probe h32). When both refuse, the one
  -- that lasts longer is answered, so Retry-After does not name a time at which the other still refuses.
  -- Without a client IP every send comes from one bucket, which ARGV[9] already limits per mailbox.
  local untrusted_limit = tonumber(ARGV[23])
  local untrusted, untrusted_live = sends(KEYS[14])
  local refusal = nil
  if others >= tonumber(ARGV[16]) then
    refusal = {'refused', 'identity_pending', earliest - now}
  end
  if network ~= 'none' and untrusted >= untrusted_limit then
    local wait = retry_after(untrusted, untrusted_live, untrusted_limit)
    if refusal == nil or wait > refusal[3] then
      refusal = {'refused', 'identity_untrusted_hourly', wait}
    end
  end
  if refusal then
    return refusal
  end
end

local limits = {
  {KEYS[2], tonumber(ARGV[9]), 'identity_hourly'},
  {KEYS[3], tonumber(ARGV[10]), network == 'none' and 'no_client_ip_hourly' or 'ip_hourly'},
  {KEYS[4], tonumber(ARGV[11]), 'app_hourly'},
}
-- An anonymous send counts on the app's counter and on its share beside it, so the backend keeps the rest of the
-- app limit; a share of 0 refuses every anonymous send, so it is applied, not skipped, when 0. On the console
-- (ARGV[22] '1'), which has no backend, one from a network that signed this identity in (an owner at a usual desk)
-- is the owner's own: otherwise strangers asking for codes to a known owner's address spent the half kept for
-- owners. Not on an app's hosted pages, where anyone may sign in throwaway identities to make a network trusted.
local anonymous_share = tonumber(ARGV[21])
if anonymous_share >= 0 and not (trusted and ARGV[22] == '1') then
  limits[#limits + 1] = {KEYS[13], anonymous_share, 'app_anonymous_hourly', true}
end
limits[#limits + 1] = {KEYS[9], tonumber(ARGV[18]), 'sms_hourly'}
limits[#limits + 1] = {KEYS[10], tonumber(ARGV[19]), 'sms_country_hourly'}
for _, limit in ipairs(limits) do
  if limit[2] > 0 or limit[4] then
    local total, live = sends(limit[1])
    if total >= limit[2] then
      return {'refused', limit[3], retry_after(total, live, limit[2])}
    end
  end
end

for _, limit in ipairs(limits) do
  if limit[2] > 0 then
    redis.call('HINCRBY', limit[1], current_bucket, 1)
    redis.call('PEXPIRE', limit[1], window + bucket)
  end
end
if not trusted and network ~= 'none' then
  redis.call('HINCRBY', KEYS[14], current_bucket, 1)
  redis.call('PEXPIRE', KEYS[14], window + bucket)
end
local ttl = tonumber(ARGV[7])
if previous then
  redis.call('DEL', KEYS[11])
  redis.call('ZREM', KEYS[6], previous)
end
redis.call('HSET', KEYS[5], 'identity', ARGV[3], 'name', ARGV[4], 'net', network, 'mac', ARGV[5], 'attempts', 0,
  'max', ARGV[6])
redis.call('PEXPIRE', KEYS[5], ttl)
redis.call('ZADD', KEYS[6], now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[6]) < ttl then
  redis.call('PEXPIRE', KEYS[6], ttl)
end
redis.call('HSET', state, 'current', ARGV[2], 'cooldown_until', now + tonumber(ARGV[8]))
-- As long as the code and its cooldown need it; failures and lock-outs (written by verify) keep it longer. Kept a
-- day after every send, one such key per login stayed in Redis for a day holding only a passed cooldown.
local keep = math.max(ttl, tonumber(ARGV[8]))
if redis.call('PTTL', state) < keep then
  redis.call('PEXPIRE', state, keep)
end
return {'ok'}
