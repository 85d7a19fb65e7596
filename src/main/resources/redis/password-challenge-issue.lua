-- A new challenge: what its difficulty is computed from, read in one step, and the challenge counted in its
-- network's volume. When the counts call for no work (Difficulty in Java: no pow at all, or fewer than the ceiling's
-- consecutive failures and no failure of the identity, none from the network and fewer app failures than one step),
-- the challenge is stored too, at difficulty 0, with its lifetime: a sign-in's common case is one round trip. Else
-- nothing is stored, and the caller stores it with the difficulty it computes (password-challenge-store.lua).
--
-- KEYS[1] identity state: hash {w, we, c, n:<net>, ne:<net>, nl:<net>, nk:<net>}
-- KEYS[2] failures from the client network (fixed window counter)
-- KEYS[3] failures in the app (fixed window counter)
-- KEYS[4] challenges issued to the client network (fixed window counter)
-- KEYS[5] the challenge
-- ARGV: 1 count the network (1) or not (0: no client IP), 2 volume window ms, 3 purpose, 4 identity name,
--       5 lifetime ms, 6 the app's highest difficulty, 7 the consecutive failures that call for it,
--       8 the app failures of one step
-- Returns {identity failures in window, consecutive identity failures, network failures, app failures,
--          network challenges in window, 1 when stored at difficulty 0 else 0}

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'w', 'we', 'c')
local identity_failures = 0
if tonumber(state[2] or 0) > now then
  identity_failures = tonumber(state[1] or 0)
end
local consecutive = tonumber(state[3] or 0)
local network_failures, volume = 0, 0
if ARGV[1] == '1' then
  network_failures = tonumber(redis.call('GET', KEYS[2]) or 0)
  volume = redis.call('INCR', KEYS[4])
  if volume == 1 then
    redis.call('PEXPIRE', KEYS[4], ARGV[2])
  end
end
local app_failures = tonumber(redis.call('GET', KEYS[3]) or 0)
local stored = 0
if tonumber(ARGV[6]) == 0 or (consecutive < tonumber(ARGV[7]) and identity_failures == 0 and network_failures == 0
    and app_failures < tonumber(ARGV[8])) then
  redis.call('HSET', KEYS[5], 'purpose', ARGV[3], 'name', ARGV[4], 'difficulty', '0')
  redis.call('PEXPIRE', KEYS[5], ARGV[5])
  stored = 1
end
return {identity_failures, consecutive, network_failures, app_failures, volume, stored}
