-- Reserves one place in every fixed window of KEYS at once, or none: read-then-count from Java let a burst of
-- callers each pass the same count (the hosted pages' SMS share, the operator's SMS ceilings).
-- KEYS: the counters (one hash slot); ARGV[i]: the limit of KEYS[i]; ARGV[#KEYS + 1]: the window in ms
-- Returns {1, 0} when reserved, else {0, ms until the full window ends, its index in KEYS}
local window = tonumber(ARGV[#KEYS + 1])
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('PTTL', KEYS[i])
    return {0, ttl > 0 and ttl or window, i}
  end
end
for i = 1, #KEYS do
  redis.call('INCR', KEYS[i])
  if redis.call('PTTL', KEYS[i]) < 0 then
    redis.call('PEXPIRE', KEYS[i], window)
  end
end
return {1, 0}
