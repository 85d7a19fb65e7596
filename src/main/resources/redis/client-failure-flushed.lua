-- A summary of ARGV[2] failures under field ARGV[1] is stored: take them off the window's hash KEYS[1], and drop
-- the field once nothing is left (a failure counted meanwhile stays for the next flush).
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2]))
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return n
