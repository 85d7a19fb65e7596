-- Gives back a reservation of hosted-sms-reserve.lua whose code was not sent (refused for its country, a cooldown,
-- a limit). A counter that expired meanwhile stays gone.
-- KEYS[1] the app's hourly counter, KEYS[2] its counter for the phone's country
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then
    redis.call('DECR', KEYS[i])
  end
end
return 1
