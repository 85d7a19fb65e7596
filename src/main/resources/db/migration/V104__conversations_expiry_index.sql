-- Housekeeping deletes conversations 30 days after they expired (their results are read back within minutes):
-- an index on the expiry keeps that sweep from scanning every conversation at each run. (Not CONCURRENTLY:
-- Flyway's transactional lock would wait on it for ever; on a table of millions of rows the build holds
-- conversation writes for a few seconds, once.)
CREATE INDEX IF NOT EXISTS conversations_expiry ON conversations (expires_at);
