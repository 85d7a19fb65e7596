-- Counts one failed password login everywhere it counts, in one atomic step:
--   the identity from this client network: at the limit it is locked out from that network (first lockout
--     ARGV[4] ms, doubling with each lockout, at most ARGV[5] ms);
--   the identity from any network: the failures of the window and the consecutive failures (which only a
--     success or a reset clears) raise its challenges' difficulty, never lock it out;
--   the network across identities, and the app as a whole.
--
-- It also ends the attempt the gate reserved (password-login-gate.lua).
--
-- KEYS[1] identity state: hash {w, we, c, n:<net>, ne:<net>, nl:<net>, nk:<net>, p:<net>, pe:<net>}
-- KEYS[2] failures from the client network, KEYS[3] failures in the app (fixed window counters),
-- KEYS[4] attempts in flight from the client network, KEYS[5] the identity's password checks in flight
--   (password-challenge-consume.lua)
-- ARGV: 1 client network name (or 'none'), 2 failures that lock the identity out from a network,
--       3 failure window ms, 4 first lockout ms, 5 longest lockout ms, 6 count the network (1) or not (0),
--       7 identity state ttl ms, 8 app window ms, 9 the hash of the challenge the attempt spent, or ''
-- Returns {locked_ms, consecutive failures}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state, net = KEYS[1], ARGV[1]
local window = tonumber(ARGV[3])

-- A failure count of a fixed window that opens with its first failure.
local function count(field, ends)
  if tonumber(redis.call('HGET', state, ends) or 0) <= now then
    redis.call('HSET', state, field, 0, ends, now + window)
  end
  return redis.call('HINCRBY', state, field, 1)
end

-- The fields of other networks that hold nothing live: the failure window ended, no attempt in flight, and no
-- lockout within a state's lifetime (its count doubles the next one). Kept until that network's own success, a
-- guesser spread over many networks grew this one key by four fields a network for a day after it stopped.
local fields = redis.call('HGETALL', state)
local value, networks = {}, {}
for i = 1, #fields, 2 do
  value[fields[i]] = tonumber(fields[i + 1]) or 0
  local other = string.match(fields[i], '^n[elk]?:(.*)$') or string.match(fields[i], '^pe?:(.*)$')
  if other then
    networks[other] = true
  end
end
local state_ttl = tonumber(ARGV[7])
for other in pairs(networks) do
  if other ~= net and (value['ne:' .. other] or 0) <= now and (value['pe:' .. other] or 0) <= now
      and (value['nl:' .. other] or 0) + state_ttl <= now then
    redis.call('HDEL', state, 'n:' .. other, 'ne:' .. other, 'nl:' .. other, 'nk:' .. other, 'p:' .. other,
        'pe:' .. other)
  end
end

if tonumber(redis.call('HGET', state, 'p:' .. net) or 0) > 0 then
  redis.call('HINCRBY', state, 'p:' .. net, -1)
end
if tonumber(redis.call('GET', KEYS[4]) or 0) > 0 then
  redis.call('DECR', KEYS[4])
end
if ARGV[9] ~= '' then
  redis.call('ZREM', KEYS[5], ARGV[9])
end

local locked_ms = 0
if count('n:' .. net, 'ne:' .. net) >= tonumber(ARGV[2]) then
  local lockouts = redis.call('HINCRBY', state, 'nk:' .. net, 1)
  locked_ms = math.min(tonumber(ARGV[4]) * 2 ^ (lockouts - 1), tonumber(ARGV[5]))
  redis.call('HSET', state, 'n:' .. net, 0, 'nl:' .. net, now + locked_ms)
end
count('w', 'we')
local consecutive = redis.call('HINCRBY', state, 'c', 1)
redis.call('PEXPIRE', state, tonumber(ARGV[7]) + locked_ms)

if ARGV[6] == '1' and redis.call('INCR', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], window)
end
if redis.call('INCR', KEYS[3]) == 1 then
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
end
return {locked_ms, consecutive}
