-- The housekeeping job deletes expired sessions (their refresh tokens go with them) and retired keys no
-- longer published, a small batch at a time: these indexes let each batch find its rows without a scan.
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
CREATE INDEX IF NOT EXISTS refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX IF NOT EXISTS signing_keys_publish_until ON signing_keys (publish_until) WHERE retired_at IS NOT NULL;
