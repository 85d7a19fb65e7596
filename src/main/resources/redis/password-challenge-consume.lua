-- Spends a challenge token: the first presentation deletes it, so of any number of concurrent submissions
-- exactly one goes on. A token presented for another purpose or identity is spent too, and refused. Also reads
-- what the difficulty would be now: failures since the challenge was issued raise the work it must carry, or
-- tokens taken while nothing had failed yet would all be free guesses later.
--
-- KEYS[1] the challenge: hash {purpose, name, difficulty}
-- KEYS[2] identity state: hash {w, we, c, ...}
-- KEYS[3] failures from the client network (fixed window counter)
-- KEYS[4] failures in the app (fixed window counter)
-- KEYS[5] the identity's password checks in flight: sorted set of challenge token hashes, scored by when each lapses
-- ARGV: 1 purpose, 2 identity name, 3 read the network (1) or not (0: no client IP), 4 the token's hash when the
--       spend starts a password check (a login), else '', 5 how long a check counts as in flight at most (ms)
-- Returns {'ok', difficulty at issue, identity failures in window, consecutive identity failures, network failures,
--          app failures, checks of the identity ahead of this one, this check's score} or {'invalid'}. (Not the
--          volume of challenges: a shared network's fetches since are no reason to refuse this one.)
--
-- A login's spend is a password check in flight until its attempt fails or settles (password-login-failure.lua,
-- password-login-settle.lua remove it). Checks of one identity are ordered by their scores; one with checks ahead
-- waits for them (password-checks-ahead.lua) and is judged by the failures they leave: tokens taken
-- while nothing had failed, spent all at once from many networks, would otherwise all be free guesses before the
-- first of them is counted.

local challenge = redis.call('HMGET', KEYS[1], 'purpose', 'name', 'difficulty')
if not challenge[1] then
  return {'invalid'}
end
redis.call('DEL', KEYS[1])
if challenge[1] ~= ARGV[1] or challenge[2] ~= ARGV[2] then
  return {'invalid'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[2], 'w', 'we', 'c')
local identity_failures = 0
if tonumber(state[2] or 0) > now then
  identity_failures = tonumber(state[1] or 0)
end
local ahead, score = 0, 0
if ARGV[4] ~= '' then
  local ttl = tonumber(ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
  -- Scores rise strictly in the order the checks were spent (a millisecond later than the last, when it lapses no
  -- sooner), so every check already in the set is ahead of this one, and none spent later is.
  score = now + ttl
  local last = redis.call('ZRANGE', KEYS[5], -1, -1, 'WITHSCORES')
  if last[2] and tonumber(last[2]) >= score then
    score = tonumber(last[2]) + 1
  end
  ahead = redis.call('ZCARD', KEYS[5])
  redis.call('ZADD', KEYS[5], score, ARGV[4])
  redis.call('PEXPIRE', KEYS[5], score - now)
end
local network_failures = 0
if ARGV[3] == '1' then
  network_failures = tonumber(redis.call('GET', KEYS[3]) or 0)
end
return {'ok', tonumber(challenge[3]), identity_failures, tonumber(state[3] or 0), network_failures,
  tonumber(redis.call('GET', KEYS[4]) or 0), ahead, score}
