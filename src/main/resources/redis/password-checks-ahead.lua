-- For a login's password check waiting on the checks of its identity ahead of it (password-challenge-consume.lua
-- gives them strictly rising scores): how many are still ahead, and the failure counts they have left, read in one
-- step. A check ends when its attempt fails or settles, or lapses at its score.
--
-- KEYS[1] identity state, KEYS[2] failures from the client network, KEYS[3] failures in the app,
-- KEYS[4] the identity's password checks in flight
-- ARGV: 1 this check's score, 2 read the network (1) or not (0)
-- Returns {checks ahead, identity failures in window, consecutive identity failures, network failures, app failures}

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local ahead = redis.call('ZCOUNT', KEYS[4], '-inf', '(' .. ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'w', 'we', 'c')
local identity_failures = 0
if tonumber(state[2] or 0) > now then
  identity_failures = tonumber(state[1] or 0)
end
local network_failures = 0
if ARGV[2] == '1' then
  network_failures = tonumber(redis.call('GET', KEYS[2]) or 0)
end
return {ahead, identity_failures, tonumber(state[3] or 0), network_failures, tonumber(redis.call('GET', KEYS[3]) or 0)}
