-- Ends an attempt the gate reserved (password-login-gate.lua) without counting it as a failure: a right password,
-- which also clears the identity's counters from this network and its streak, or an attempt that could not be
-- checked (the hashing pool full, a store down). Either ends only its own reservation: the other attempts still in
-- flight from the network keep theirs, so a success beside concurrent guesses admits no more of them than the
-- limit.
--
-- KEYS[1] identity state, KEYS[2] attempts in flight from the client network, KEYS[3] the identity's password checks
-- in flight (password-challenge-consume.lua)
-- ARGV: 1 client network name (or 'none'), 2 '1' for a right password, '0' for an attempt left unchecked,
--       3 the hash of the challenge the attempt spent, or '' (removing it twice is harmless)

local state, net = KEYS[1], ARGV[1]
if ARGV[2] == '1' then
  redis.call('HDEL', state, 'n:' .. net, 'ne:' .. net, 'nl:' .. net, 'nk:' .. net, 'w', 'we', 'c')
end
if tonumber(redis.call('HGET', state, 'p:' .. net) or 0) > 0 then
  redis.call('HINCRBY', state, 'p:' .. net, -1)
end
if tonumber(redis.call('GET', KEYS[2]) or 0) > 0 then
  redis.call('DECR', KEYS[2])
end
if ARGV[3] ~= '' then
  redis.call('ZREM', KEYS[3], ARGV[3])
end
return 1
