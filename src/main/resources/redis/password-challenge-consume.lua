-- Spends a challenge token: the first presentation deletes it, so of any number of concurrent submissions
-- exactly one goes on. A token presented for another purpose or identity is spent too, and refused.
--
-- KEYS[1] the challenge: hash {purpose, name, difficulty}
-- ARGV: 1 purpose, 2 identity name
-- Returns {'ok', difficulty} or {'invalid'}.

local challenge = redis.call('HMGET', KEYS[1], 'purpose', 'name', 'difficulty')
if not challenge[1] then
  return {'invalid'}
end
redis.call('DEL', KEYS[1])
if challenge[1] ~= ARGV[1] or challenge[2] ~= ARGV[2] then
  return {'invalid'}
end
return {'ok', tonumber(challenge[3])}
