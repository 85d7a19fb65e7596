-- What a new challenge's difficulty is computed from, read in one step, and the challenge counted in its
-- network's volume.
--
-- KEYS[1] identity state: hash {w, we, c, n:<net>, ne:<net>, nl:<net>, nk:<net>}
-- KEYS[2] failures from the client network (fixed window counter)
-- KEYS[3] failures in the app (fixed window counter)
-- KEYS[4] challenges issued to the client network (fixed window counter)
-- ARGV: 1 count the network (1) or not (0: no client IP), 2 volume window ms
-- Returns {identity failures in window, consecutive identity failures, network failures, app failures,
--          network challenges in window}

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
return {identity_failures, consecutive, network_failures, app_failures, volume}
