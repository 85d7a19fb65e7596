-- Gives back a reservation of window-reserve.lua whose SMS was not sent (refused for its country, a cooldown, a
-- limit). A counter that expired meanwhile stays gone.
-- KEYS: the counters the reservation took
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 1
