-- Takes the pending signup of an identity, only when it belongs to the verification whose code was just
-- spent: a code of an older signup (or of a resend that moved on) must never apply a newer signup's password.
--
-- KEYS[1] the pending signup: a JSON string {password_hash, profile, terms_accepted_at, verification_id}
-- ARGV: 1 the verification id whose code was verified
-- Returns the JSON, or nil when there is none for that verification.

local pending = redis.call('GET', KEYS[1])
if not pending then
  return nil
end
if cjson.decode(pending)['verification_id'] ~= ARGV[1] then
  return nil
end
redis.call('DEL', KEYS[1])
return pending
