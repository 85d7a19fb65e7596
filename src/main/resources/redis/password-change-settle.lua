-- Ends a check reserved by password-change-reserve.lua: a wrong current password is counted for the session and
-- the user (ARGV[1] '1'), a check that never ran (the hashing pool full, a store down) is given back ('0'). A key
-- gone meanwhile (a right password deleted it, or its time ran out) is not made again by a give-back; a wrong
-- password then starts it anew, with its lifetime.
--
-- KEYS[1] the session's checks, KEYS[2] the user's: hashes {wrong, inflight}
-- ARGV: 1 '1' for a wrong password, '0' for a give-back, 2 the session count's lifetime (ms), 3 the user's (ms)

local wrong = ARGV[1] == '1'
for i, key in ipairs(KEYS) do
  local exists = redis.call('EXISTS', key) == 1
  if exists and tonumber(redis.call('HGET', key, 'inflight') or 0) > 0 then
    redis.call('HINCRBY', key, 'inflight', -1)
  end
  if wrong then
    redis.call('HINCRBY', key, 'wrong', 1)
    if not exists or i == 2 then
      redis.call('PEXPIRE', key, ARGV[i + 1])
    end
  end
end
return 1
