-- Reserves one place in every sliding window of KEYS at once, or none: the hosted pages' half of an app's SMS
-- budgets, counted in the same sliding hour of one-minute buckets as the budgets themselves (otp-send.lua). A fixed
-- window that started with its first send let strangers take a share just before its end and another just after,
-- the whole budget in one sliding hour, and the app's backend got none (h58).
-- KEYS: the counters, hashes {bucket -> count} (one hash slot); ARGV[i]: the limit of KEYS[i];
-- ARGV[#KEYS + 1]: the window in ms, ARGV[#KEYS + 2]: the bucket in ms
-- Returns {1} when reserved, else {0, the index in KEYS of the counter that refused}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[#KEYS + 1])
local bucket = tonumber(ARGV[#KEYS + 2])
local current_bucket = math.floor(now / bucket)
local first_bucket = current_bucket - math.floor(window / bucket) + 1

for i = 1, #KEYS do
  local fields = redis.call('HGETALL', KEYS[i])
  local total = 0
  for j = 1, #fields, 2 do
    if tonumber(fields[j]) < first_bucket then
      redis.call('HDEL', KEYS[i], fields[j])
    else
      total = total + tonumber(fields[j + 1])
    end
  end
  if total >= tonumber(ARGV[i]) then
    return {0, i}
  end
end
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], current_bucket, 1)
  redis.call('PEXPIRE', KEYS[i], window + bucket)
end
return {1}
