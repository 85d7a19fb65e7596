-- Gives back a reservation of sliding-reserve.lua whose SMS was not sent: one count of the newest bucket that holds
-- one (the reservation's, or the one before it when a minute turned in between). A counter that expired meanwhile
-- stays gone.
-- KEYS: the counters the reservation took; ARGV[1]: the bucket in ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current_bucket = math.floor(now / tonumber(ARGV[1]))
for i = 1, #KEYS do
  for b = current_bucket, current_bucket - 1, -1 do
    if tonumber(redis.call('HGET', KEYS[i], b) or '0') > 0 then
      redis.call('HINCRBY', KEYS[i], b, -1)
      break
    end
  end
end
return 1
