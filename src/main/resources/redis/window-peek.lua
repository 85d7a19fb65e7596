-- Whether a fixed window of window-reserve.lua is full, without taking a place in it.
-- KEYS[1] the counter; ARGV[1] its limit, ARGV[2] the window in ms
-- Returns {1, 0} when a place is free, else {0, ms until the window ends}
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  return {0, ttl > 0 and ttl or tonumber(ARGV[2])}
end
return {1, 0}
