-- One failed client authentication: counted in its window's summary hash under "<app id>|<network>", the window
-- listed for the flush, and the caller's failures in this window counted for the per-IP limit.
-- KEYS[1] window hash, KEYS[2] windows sorted set, KEYS[3] the caller's counter, KEYS[4] (optional) its site's counter
-- ARGV[1] field, ARGV[2] window start (ms), ARGV[3] hash lifetime (ms), ARGV[4] counter lifetime (ms),
-- ARGV[5] most fields a window holds, ARGV[6] the field a new network is counted under beyond them
-- Returns {the caller's failures in this window, this one included; its site's, or 0 without KEYS[4]}.
local field = ARGV[1]
-- Networks beyond the cap share one summary: a stranger with many networks cannot make the flush write one event each.
if redis.call('HEXISTS', KEYS[1], field) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
  field = ARGV[6]
end
redis.call('HINCRBY', KEYS[1], field, 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local function counted(key)
  local n = redis.call('INCR', key)
  if n == 1 then
    redis.call('PEXPIRE', key, ARGV[4])
  end
  return n
end
local site = 0
if KEYS[4] then
  site = counted(KEYS[4])
end
return {counted(KEYS[3]), site}
