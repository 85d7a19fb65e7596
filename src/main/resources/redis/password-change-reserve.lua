-- Reserves the check of a current password for one session's password change, unless the session's wrong current
-- passwords and the checks in flight have reached its allowance: concurrent changes check no more than it. A wrong
-- password keeps its reservation; a check that never ran gives it back (password-change-release.lua), and a right
-- one deletes the key.
--
-- KEYS[1] the session's checks (a counter)
-- ARGV: 1 the allowance, 2 how long the count lasts from the session's first check (ms)
-- Returns {'ok'} or {'spent', retry_after_ms}.

if tonumber(redis.call('GET', KEYS[1]) or 0) >= tonumber(ARGV[1]) then
  return {'spent', math.max(1000, redis.call('PTTL', KEYS[1]))}
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {'ok'}
