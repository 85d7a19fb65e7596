-- Reserves one SMS of the hosted pages' share in both fixed windows at once, or none: read-then-count from Java let
-- a burst of sends each pass the same count.
-- KEYS[1] the app's hourly counter, KEYS[2] its counter for the phone's country (one hash slot: the app id)
-- ARGV: 1 hourly limit, 2 per-country limit, 3 window ms
-- Returns 1 when reserved, 0 when either window is full
local hourly = tonumber(redis.call('GET', KEYS[1]) or '0')
local country = tonumber(redis.call('GET', KEYS[2]) or '0')
if hourly >= tonumber(ARGV[1]) or country >= tonumber(ARGV[2]) then
  return 0
end
for i = 1, 2 do
  redis.call('INCR', KEYS[i])
  if redis.call('PTTL', KEYS[i]) < 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[3])
  end
end
return 1
