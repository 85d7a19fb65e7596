-- Stores a new authorization code. It can be exchanged until expires_at (now + ttl), and lives that long: once
-- presented, auth-code-redeem.lua keeps it longer as a tombstone (holding the user's id alone), so a second
-- presentation is recognised as reuse; a code never presented holds the user's data no longer than it is valid.
--
-- KEYS[1] the code's key (a digest of the code: the code itself is never stored)
-- ARGV: 1 app id, 2 redirect target, 3 PKCE S256 challenge ('' for none), 4 user json, 5 new_user ('1'|'0'),
--       6 code ttl ms, 7 tombstone ttl ms (unused here; kept for callers of an earlier release), 8 kind's data json
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'app', ARGV[1], 'redirect', ARGV[2], 'challenge', ARGV[3], 'user', ARGV[4],
  'new_user', ARGV[5], 'expires_at', now + tonumber(ARGV[6]), 'state', 'fresh', 'data', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 'ok'
