-- Reserves one place in every sliding window of KEYS at once, or none; or, with ARGV[#KEYS + 3] = 'peek', only
-- answers whether it could. The hosted pages' half of an app's SMS budgets and the operator's SMS ceilings with
-- their anonymous shares, counted in a sliding hour of one-minute buckets as the apps' budgets are (otp-send.lua).
-- Fixed windows that each started with their own first send let strangers take a share at one window's end and
-- another at the next one's start: an app's whole budget, or all but one of a ceiling whose window had not turned,
-- so the backends got 429 (h58, h59).
-- KEYS: the counters, hashes {bucket -> count} (one hash slot); ARGV[i]: the limit of KEYS[i];
-- ARGV[#KEYS + 1]: the window in ms, ARGV[#KEYS + 2]: the bucket in ms, ARGV[#KEYS + 3]: 'peek' or 'reserve'
-- Returns {1, 0, bucket} when reserved (the bucket sliding-release.lua gives the place back to) or free, else
-- {0, ms until enough counts leave the window for one more, the index in KEYS of the counter that refused}.
-- A key that is not a hash (a stray one; none of an earlier release has these names) counts as empty: it is
-- dropped, not left to fail every send (h60).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[#KEYS + 1])
local bucket = tonumber(ARGV[#KEYS + 2])
local current_bucket = math.floor(now / bucket)
local first_bucket = current_bucket - math.floor(window / bucket) + 1

for i = 1, #KEYS do
  local kind = redis.call('TYPE', KEYS[i])['ok']
  if kind ~= 'hash' and kind ~= 'none' then
    redis.call('DEL', KEYS[i])
  end
  local fields = redis.call('HGETALL', KEYS[i])
  local total, live = 0, {}
  for j = 1, #fields, 2 do
    local b, c = tonumber(fields[j]), tonumber(fields[j + 1])
    if b < first_bucket then
      redis.call('HDEL', KEYS[i], fields[j])
    else
      total = total + c
      live[#live + 1] = {b, c}
    end
  end
  local limit = tonumber(ARGV[i])
  if total >= limit then
    table.sort(live, function(x, y) return x[1] < y[1] end)
    local wait = window
    for _, entry in ipairs(live) do
      total = total - entry[2]
      if total < limit then
        wait = (entry[1] + math.floor(window / bucket)) * bucket - now
        break
      end
    end
    return {0, wait, i}
  end
end
if ARGV[#KEYS + 3] == 'peek' then
  return {1, 0, current_bucket}
end
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], current_bucket, 1)
  redis.call('PEXPIRE', KEYS[i], window + bucket)
end
return {1, 0, current_bucket}
