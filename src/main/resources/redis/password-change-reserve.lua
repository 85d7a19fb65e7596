-- Reserves the check of a current password at a password change, for the session and for its user. A session may
-- send ARGV[1] wrong current passwords (within ARGV[2] ms of its first check), and a user ARGV[3] in a row across
-- all of its sessions (NIST SP 800-63B's ceiling: a day's allowance renewed for as long as a stolen session lives
-- would pass it), counted only from changes, which need an access token, so that strangers' wrong logins never stop
-- a token holder's change. Checks in flight count against both, so concurrent changes check no more; a refusal that
-- only they cause is 'busy' (try again in a second), not a spent allowance. password-change-settle.lua ends a check.
--
-- KEYS[1] the session's checks, KEYS[2] the user's: hashes {wrong, inflight}
-- ARGV: 1 the session's allowance, 2 how long a session's count lasts from its first check (ms), 3 the user's
--       ceiling, 4 how long the user's count lasts after its latest check (ms)
-- Returns {'ok'}, {'spent', retry_after_ms}, {'ceiling', retry_after_ms} or {'busy', 1000}.

local function counts(key)
  return tonumber(redis.call('HGET', key, 'wrong') or 0), tonumber(redis.call('HGET', key, 'inflight') or 0)
end

local session_wrong, session_inflight = counts(KEYS[1])
if session_wrong >= tonumber(ARGV[1]) then
  return {'spent', math.max(1000, redis.call('PTTL', KEYS[1]))}
end
local user_wrong, user_inflight = counts(KEYS[2])
if user_wrong >= tonumber(ARGV[3]) then
  return {'ceiling', math.max(1000, redis.call('PTTL', KEYS[2]))}
end
if session_wrong + session_inflight >= tonumber(ARGV[1]) or user_wrong + user_inflight >= tonumber(ARGV[3]) then
  return {'busy', 1000}
end

local first = redis.call('EXISTS', KEYS[1]) == 0
redis.call('HINCRBY', KEYS[1], 'inflight', 1)
if first then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
redis.call('HINCRBY', KEYS[2], 'inflight', 1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {'ok'}
