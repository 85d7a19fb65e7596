-- Issues a code for an identity, or refuses it, in one atomic step: lockout, resend cooldown, then the hourly
-- limits per identity, per client network and per app. Only an accepted send counts or writes anything.
-- A new code replaces the identity's pending one, which stops verifying at once.
--
-- KEYS[1] identity state: hash {current, cooldown_until, failures, lockouts, locked_until}
-- KEYS[2] identity sends, KEYS[3] client network sends, KEYS[4] app sends: hashes {bucket -> count}
-- KEYS[5] the new request: hash {identity, name, mac, attempts, max}
-- ARGV: 1 request key prefix, 2 request id, 3 identity, 4 identity name, 5 code mac, 6 max attempts,
--       7 code ttl ms, 8 cooldown ms, 9 identity limit, 10 network limit (0: none), 11 app limit,
--       12 window ms, 13 bucket ms, 14 identity state ttl ms
-- Returns {'ok'} or {'refused', reason, retry_after_ms}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[12])
local bucket = tonumber(ARGV[13])
local current_bucket = math.floor(now / bucket)
local first_bucket = current_bucket - math.floor(window / bucket) + 1

-- Sends in the sliding window; drops buckets that left it. Returns the total and the live buckets, oldest first.
local function sends(key)
  local fields = redis.call('HGETALL', key)
  local total, live = 0, {}
  for i = 1, #fields, 2 do
    local b, c = tonumber(fields[i]), tonumber(fields[i + 1])
    if b < first_bucket then
      redis.call('HDEL', key, fields[i])
    else
      total = total + c
      live[#live + 1] = {b, c}
    end
  end
  table.sort(live, function(x, y) return x[1] < y[1] end)
  return total, live
end

-- How long until enough of the oldest sends leave the window for one more to fit under the limit.
local function retry_after(total, live, limit)
  for _, entry in ipairs(live) do
    total = total - entry[2]
    if total < limit then
      return (entry[1] + math.floor(window / bucket)) * bucket - now
    end
  end
  return window
end

local state = KEYS[1]
local locked_until = tonumber(redis.call('HGET', state, 'locked_until') or 0)
if locked_until > now then
  return {'refused', 'lockout', locked_until - now}
end
local cooldown_until = tonumber(redis.call('HGET', state, 'cooldown_until') or 0)
if cooldown_until > now then
  return {'refused', 'cooldown', cooldown_until - now}
end

local limits = {
  {KEYS[2], tonumber(ARGV[9]), 'identity_hourly'},
  {KEYS[3], tonumber(ARGV[10]), 'ip_hourly'},
  {KEYS[4], tonumber(ARGV[11]), 'app_hourly'},
}
for _, limit in ipairs(limits) do
  if limit[2] > 0 then
    local total, live = sends(limit[1])
    if total >= limit[2] then
      return {'refused', limit[3], retry_after(total, live, limit[2])}
    end
  end
end

for _, limit in ipairs(limits) do
  if limit[2] > 0 then
    redis.call('HINCRBY', limit[1], current_bucket, 1)
    redis.call('PEXPIRE', limit[1], window + bucket)
  end
end
local previous = redis.call('HGET', state, 'current')
if previous then
  redis.call('DEL', ARGV[1] .. previous)
end
redis.call('HSET', KEYS[5], 'identity', ARGV[3], 'name', ARGV[4], 'mac', ARGV[5], 'attempts', 0, 'max', ARGV[6])
redis.call('PEXPIRE', KEYS[5], ARGV[7])
redis.call('HSET', state, 'current', ARGV[2], 'cooldown_until', now + tonumber(ARGV[8]))
redis.call('PEXPIRE', state, ARGV[14])
return {'ok'}
