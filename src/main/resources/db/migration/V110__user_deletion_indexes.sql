-- Deleting a user (and an app, whose users cascade) makes Postgres find the user's rows in the tables that refer
-- to it. Both user indexes of sessions are partial (live sessions only), and licences and conversation credentials
-- index user_id behind app_id, so every deleted user was a full scan of sessions and a long walk of licences:
-- 63 ms a user at 300,000 users, an app deletion of hours that held the app's rows locked (scale probe). These
-- indexes serve the foreign keys' lookups by user_id alone. (Not CONCURRENTLY: Flyway's transactional lock would
-- wait on it for ever; on tables of millions of rows the build holds their writes for seconds, once.)
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS licenses_by_user ON licenses (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS conversation_credentials_by_user ON conversation_credentials (user_id);
