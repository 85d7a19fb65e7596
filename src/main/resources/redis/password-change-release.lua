-- Gives back a reservation of password-change-reserve.lua whose check never ran (the hashing pool full, a store
-- down); never below zero, as a right password may have deleted the count meanwhile.
--
-- KEYS[1] the session's checks (a counter)

if tonumber(redis.call('GET', KEYS[1]) or 0) > 0 then
  redis.call('DECR', KEYS[1])
end
return 1
