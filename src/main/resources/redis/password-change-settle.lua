-- Ends a check reserved by password-change-reserve.lua: its reservation goes, and a wrong current password is
-- counted for the session and the user (ARGV[1] '1'); a check that never ran (the hashing pool full, a store down)
-- only goes ('0'). A key gone meanwhile (a right password deleted it, or its time ran out) is not made again by a
-- give-back; a wrong password then starts it anew, with its lifetime.
--
-- KEYS[1] the session's checks, KEYS[2] the user's: hashes {wrong -> count, r:<reservation> -> lapses at ms}
-- ARGV: 1 '1' for a wrong password, '0' for a give-back, 2 the session count's lifetime (ms), 3 the user's (ms),
--       4 the reservation's id

-- Counted before the reservation goes: a hash whose last field went would be deleted, and made again without its
-- lifetime.
for i, key in ipairs(KEYS) do
  if ARGV[1] == '1' then
    local exists = redis.call('EXISTS', key) == 1
    redis.call('HINCRBY', key, 'wrong', 1)
    if not exists or i == 2 then
      redis.call('PEXPIRE', key, ARGV[i + 1])
    end
  end
  redis.call('HDEL', key, 'r:' .. ARGV[4])
end
return 1
