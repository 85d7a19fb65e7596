-- Owner codes go by email only by default: an SMS route to the console is an SMS-pumping route for anyone.
-- The operator can change it (PATCH /v1/apps/00000000-0000-0000-0000-000000000001, admin key); owners who
-- have nothing but a phone still get their codes by SMS.
UPDATE apps
   SET settings = jsonb_set(settings, '{otp_channels}', '["email"]'::jsonb)
 WHERE id = '00000000-0000-0000-0000-000000000001'
   AND settings -> 'otp_channels' = '["email", "sms"]'::jsonb;
