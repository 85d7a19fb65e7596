-- Records the session a redeemed code issued, unless the code was presented again in the meantime: then the
-- caller revokes that session itself.
--
-- KEYS[1] the code's key; ARGV[1] the session id
-- Returns 'ok', or 'reused'
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'reused' then
  return 'reused'
end
if state then
  redis.call('HSET', KEYS[1], 'session', ARGV[1])
end
return 'ok'
