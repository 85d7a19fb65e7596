-- NIST SP 800-63B: an out-of-band code lives at most 10 minutes. Settings stored before that ceiling are
-- clamped, so a PATCH of another setting cannot fail on a value the app never chose again.
UPDATE apps
   SET settings = jsonb_set(settings, '{otp_ttl}', '600'::jsonb)
 WHERE settings ? 'otp_ttl'
   AND jsonb_typeof(settings -> 'otp_ttl') = 'number'
   AND (settings ->> 'otp_ttl')::numeric > 600;
