-- Counts one event in a fixed window, in one step (a network's hosted flow starts, an owner's app creations).
-- KEYS[1] the counter; ARGV: 1 limit, 2 window ms
-- Returns {allowed (1|0), ms until the window ends}
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
if count > tonumber(ARGV[1]) then
  return {0, ttl}
end
return {1, ttl}
