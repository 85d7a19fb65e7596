-- Housekeeping deletes conversations 30 days after they expired (their results are read back within minutes):
-- an index on the expiry keeps that sweep from scanning every conversation at each run.
CREATE INDEX conversations_expiry ON conversations (expires_at);
