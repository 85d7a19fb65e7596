-- Keeps a signup pending until its code is verified: a second signup for the identity replaces the first, and the
-- pending signup is then marked contested. A resend by identity does not move a contested signup on to the code it
-- sends the identity: whoever signed up last, a stranger included, would otherwise get their password applied by
-- the owner's verification. A resend of the current verification id still does.
--
-- KEYS[1] the pending signup (see password-signup-take.lua)
-- ARGV: 1 the pending signup's JSON, 2 time to live ms

-- Written either way, true or false: a pending signup without the field is an earlier release's, which could not
-- tell, and counts as contested.
local pending = cjson.decode(ARGV[1])
pending['contested'] = redis.call('EXISTS', KEYS[1]) == 1
redis.call('SET', KEYS[1], cjson.encode(pending), 'PX', ARGV[2])
return 1
