-- Counts calls in a fixed window and answers the count with the window's remaining time, in one step.
-- KEYS[1] the counter (one key per script call, so it works on Redis Cluster whatever the slot)
-- ARGV[1] window ms
-- ARGV[2] how many calls to count (the calls of one event-loop turn with this counter; 1 when absent)
-- Returns {count, remaining_ms}.

local count = redis.call('INCRBY', KEYS[1], tonumber(ARGV[2] or '1'))
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
