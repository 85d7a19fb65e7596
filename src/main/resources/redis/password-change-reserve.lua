-- Reserves the check of a current password at a password change, for the session and for its user. A session may
-- send ARGV[1] wrong current passwords (within ARGV[2] ms of its first check), and a user ARGV[3] in a row across
-- all of its sessions (NIST SP 800-63B's ceiling: a day's allowance renewed for as long as a stolen session lives
-- would pass it), counted only from changes, which need an access token, so that strangers' wrong logins never stop
-- a token holder's change. Checks in flight count against both, so concurrent changes check no more; a refusal that
-- only they cause is 'busy' (try again in a second), not a spent allowance. A reservation lapses after ARGV[6] ms
-- (a hash takes far less), so one a crashed process held stops counting. password-change-settle.lua ends a check.
--
-- KEYS[1] the session's checks, KEYS[2] the user's: hashes {wrong -> count, r:<reservation> -> lapses at ms}
-- ARGV: 1 the session's allowance, 2 how long a session's count lasts from its first check (ms), 3 the user's
--       ceiling, 4 how long the user's count lasts after its latest check (ms), 5 the reservation's id, 6 how long
--       a reservation lasts at most (ms)
-- Returns {'ok'}, {'spent', retry_after_ms}, {'ceiling', retry_after_ms} or {'busy', 1000}.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- The wrong ones and the live reservations of a key; lapsed reservations are dropped.
local function counts(key)
  local fields = redis.call('HGETALL', key)
  local wrong, live = 0, 0
  for i = 1, #fields, 2 do
    local name, value = fields[i], tonumber(fields[i + 1])
    if name == 'wrong' then
      wrong = value
    elseif value > now then
      live = live + 1
    else
      redis.call('HDEL', key, name)
    end
  end
  return wrong, live
end

local user_wrong, user_inflight = counts(KEYS[2])
if user_wrong >= tonumber(ARGV[3]) then
  return {'ceiling', math.max(1000, redis.call('PTTL', KEYS[2]))}
end
local session_wrong, session_inflight = counts(KEYS[1])
if session_wrong >= tonumber(ARGV[1]) then
  return {'spent', math.max(1000, redis.call('PTTL', KEYS[1]))}
end
if session_wrong + session_inflight >= tonumber(ARGV[1]) or user_wrong + user_inflight >= tonumber(ARGV[3]) then
  return {'busy', 1000}
end

local first = redis.call('EXISTS', KEYS[1]) == 0
local lapses = now + tonumber(ARGV[6])
redis.call('HSET', KEYS[1], 'r:' .. ARGV[5], lapses)
if first then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('HSET', KEYS[2], 'r:' .. ARGV[5], lapses)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {'ok'}
