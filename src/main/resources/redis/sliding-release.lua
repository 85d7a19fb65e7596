-- Gives back a reservation of sliding-reserve.lua whose SMS was not sent, to the bucket it was taken in: taken
-- from a newer one when a minute turned in between, it left the reservation's count to leave the hour a minute
-- later than the send it took from, and the ceiling could be passed by one for that minute (h60). A counter that
-- expired meanwhile (or whose bucket left the hour) stays as it is; so does a key that is not a hash.
-- KEYS: the counters the reservation took; ARGV[1]: the bucket it was taken in
local bucket = ARGV[1]
for i = 1, #KEYS do
  if redis.call('TYPE', KEYS[i])['ok'] == 'hash' and tonumber(redis.call('HGET', KEYS[i], bucket) or '0') > 0 then
    redis.call('HINCRBY', KEYS[i], bucket, -1)
  end
end
return 1
