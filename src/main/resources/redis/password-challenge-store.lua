-- Stores a challenge with its lifetime in one step: a HSET whose PEXPIRE never arrived (a lost connection, or the
-- two sent to a Cluster node on separate connections in either order) would leave a challenge spendable forever.
-- KEYS[1] the challenge; ARGV: 1 purpose, 2 identity name, 3 difficulty, 4 lifetime ms
redis.call('HSET', KEYS[1], 'purpose', ARGV[1], 'name', ARGV[2], 'difficulty', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
