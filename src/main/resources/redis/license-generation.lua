-- Replaces an app's license generation and announces it to every gateway process in one step: no process can
-- read the new generation before the announcement is published.
-- KEYS[1] the app's generation key
-- ARGV[1] the new generation; ARGV[2] seconds to keep it; ARGV[3] the channel; ARGV[4] the app id
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
