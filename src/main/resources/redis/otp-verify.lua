-- Checks a code against its request in one atomic step, so a code verifies at most once and every wrong
-- guess is counted exactly once however many arrive together. Failures lock out the identity on the network
-- the code was requested from (not the identity everywhere), and count towards the identity's hourly ceiling of
-- wrong codes across networks; a success marks that network as one that has signed this identity in. Once the
-- ceiling is reached, no code of the identity is checked (right or wrong) unless the code was requested from, or
-- the verification comes from, a network that has signed it in: else many networks would multiply the guesses.
--
-- KEYS[1] the request: hash {identity, name, net, mac, attempts, max}
-- KEYS[2] identity+network state of the code's network (name ':' net): hash {current, failures, lockouts, locked_until}
-- KEYS[3] identity+network state of the verifying request's network (KEYS[2] when it is the same or none)
-- KEYS[4] the identity's pending codes: zset, KEYS[5] its wrong codes: hash {bucket -> count}, KEYS[6] the
--         networks that signed it in, as an earlier release kept them: set (read only), KEYS[7] the networks that
--         signed it in: zset {network -> last sign-in ms}, the 50 newest of ARGV[9]
-- ARGV: 1 mac of the presented code, 2 request id, 3 consecutive failures that lock, 4 first lockout ms,
--       5 longest lockout ms, 6 state ttl ms, 7 window ms, 8 bucket ms, 9 how long a network stays signed in, ms,
--       10 the network of the verifying request ('' when it gave no client_ip), 11 the identity's wrong codes an
--       hour across networks, in units of the request's max attempts, 12 and 13 the request's name and net as the
--       caller read them to name KEYS[2..6], 14 'check' to leave a right code unspent (its answer 'verified' all the
--       same: the code would verify; a wrong one counts as ever), else 'spend'
-- Every key the script touches is in KEYS (all in the request's hash slot, {app}), so that Redis Cluster sees them
-- all: while the app's slot migrates, a node lacking some of them answers TRYAGAIN instead of running the script
-- without the identity's lockout and counts. The caller names them from the request's name and net, read just
-- before; the script checks that the request still has those (a request's fields never change, so it always
-- does) and answers {'stale'}, writing nothing, if not.
-- Returns one of
--   {'expired'}                          unknown, expired, replaced or already used
--   {'stale'}                            the request's name or net is not the caller's ARGV[12] and ARGV[13]
--   {'burned', retry_after_ms}           max attempts reached earlier; a wrong code is still counted
--   {'locked', retry_after_ms, reason}   reason 'lockout': the identity is locked out on the code's network, or on
--                                        the network the verification comes from, after too many failures;
--                                        'identity_failures': its hourly ceiling of wrong codes is reached and
--                                        neither network has signed it in
--   {'verified', identity}               consumed
--   {'invalid', attempts_left, locked_ms, identity} wrong code; attempts_left 0 means this guess burned the request

local request = redis.call('HMGET', KEYS[1], 'identity', 'name', 'mac', 'attempts', 'max', 'net')
if not request[1] then
  return {'expired'}
end
local name = request[2]
local network = request[6] or 'none'
if name ~= ARGV[12] or network ~= ARGV[13] then
  return {'stale'}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = KEYS[2]
local pending = KEYS[4]
local matches = request[3] == ARGV[1]
local attempts, max = tonumber(request[4]), tonumber(request[5])

local function wait_for(field)
  return math.max(0, tonumber(redis.call('HGET', state, field) or 0) - now)
end

if attempts >= max then
  if not matches then
    redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  end
  return {'burned', math.max(wait_for('cooldown_until'), wait_for('locked_until'))}
end
local locked = wait_for('locked_until')
if ARGV[10] ~= '' and ARGV[10] ~= network then
  -- A network locked out of this identity verifies no code of it, whichever network asked for the code.
  local elsewhere = tonumber(redis.call('HGET', KEYS[3], 'locked_until') or 0) - now
  locked = math.max(locked, elsewhere)
end
if locked > 0 then
  return {'locked', locked, 'lockout'}
end

local bucket = tonumber(ARGV[8])
local window = tonumber(ARGV[7])
local wrong = KEYS[5]
local signed_in = KEYS[6]
local signed_in_at = KEYS[7]
local signed_in_ms = tonumber(ARGV[9])

-- Whether a network that signed this identity in (within ARGV[9]) asks: the code's own, or the verifying request's.
local function trusted()
  for _, net in ipairs({network, ARGV[10]}) do
    if net ~= '' and net ~= 'none' and (tonumber(redis.call('ZSCORE', signed_in_at, net) or 0) > now - signed_in_ms
        or redis.call('SISMEMBER', signed_in, net) == 1) then
      return true
    end
  end
  return false
end

-- Wrong codes of the identity in the window; when at the ceiling, how long until the oldest leave it.
-- The window arithmetic of otp-send.lua's sends() and retry_after(), which refuse the identity's sends at the same
-- ceiling: keep the two in step (Redis scripts share no code).
local function ceiling_wait()
  local ceiling = tonumber(ARGV[11]) * max
  local first_bucket = math.floor(now / bucket) - math.floor(window / bucket) + 1
  local fields = redis.call('HGETALL', wrong)
  local total, live = 0, {}
  for i = 1, #fields, 2 do
    local b, c = tonumber(fields[i]), tonumber(fields[i + 1])
    if b >= first_bucket then
      total = total + c
      live[#live + 1] = {b, c}
    end
  end
  if total < ceiling then
    return 0
  end
  table.sort(live, function(x, y) return x[1] < y[1] end)
  for _, entry in ipairs(live) do
    total = total - entry[2]
    if total < ceiling then
      return (entry[1] + math.floor(window / bucket)) * bucket - now
    end
  end
  return window
end

local over = ceiling_wait()
if over > 0 and not trusted() then
  return {'locked', over, 'identity_failures'}
end
if matches and ARGV[14] == 'check' then
  return {'verified', request[1]}
end
if matches then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', pending, ARGV[2])
  if redis.call('HGET', state, 'current') == ARGV[2] then
    redis.call('HDEL', state, 'current')
  end
  redis.call('HDEL', state, 'failures', 'lockouts')
  if redis.call('HEXISTS', state, 'current') == 0 then
    -- Nothing left to count: the state lives on only for its cooldown (not the day a failure would keep it).
    local cooldown = tonumber(redis.call('HGET', state, 'cooldown_until') or 0) - now
    if cooldown > 0 then
      redis.call('PEXPIRE', state, cooldown)
    else
      redis.call('DEL', state)
    end
  end
  if network ~= 'none' then
    -- Each network with its last sign-in: one unused for 30 days is no longer trusted, and the newest 50 are kept.
    redis.call('ZADD', signed_in_at, now, network)
    redis.call('ZREMRANGEBYSCORE', signed_in_at, '-inf', now - signed_in_ms)
    local kept = redis.call('ZCARD', signed_in_at)
    if kept > 50 then
      redis.call('ZREMRANGEBYRANK', signed_in_at, 0, kept - 51)
    end
    redis.call('PEXPIRE', signed_in_at, signed_in_ms)
  end
  return {'verified', request[1]}
end

attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts >= max then
  redis.call('ZREM', pending, ARGV[2])
end
redis.call('HINCRBY', wrong, math.floor(now / bucket), 1)
redis.call('PEXPIRE', wrong, window + bucket)
local failures = redis.call('HINCRBY', state, 'failures', 1)
local ttl = tonumber(ARGV[6])
local locked_ms = 0
if failures >= tonumber(ARGV[3]) then
  local lockouts = redis.call('HINCRBY', state, 'lockouts', 1)
  locked_ms = math.min(tonumber(ARGV[4]) * 2 ^ (lockouts - 1), tonumber(ARGV[5]))
  redis.call('HSET', state, 'failures', 0, 'locked_until', now + locked_ms)
end
redis.call('PEXPIRE', state, ttl + locked_ms)
return {'invalid', max - attempts, locked_ms, request[1]}
