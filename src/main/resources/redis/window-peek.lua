-- Whether a fixed window of window-reserve.lua is full, without taking a place in it.
-- KEYS: the counters (one hash slot); ARGV[i]: the limit of KEYS[i]; ARGV[#KEYS + 1]: the window in ms
-- Returns {1, 0} when every counter has a place free, else {0, ms until the full window ends, its index in KEYS}
local window = tonumber(ARGV[#KEYS + 1])
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('PTTL', KEYS[i])
    return {0, ttl > 0 and ttl or window, i}
  end
end
return {1, 0}
