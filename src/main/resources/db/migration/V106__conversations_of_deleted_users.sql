-- A finished conversation's result holds the user's identity fields and their conversation token and challenge:
-- personal data that deleting the user must erase. The conversation now names its user, and goes with them.
ALTER TABLE conversations ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user_id) WHERE user_id IS NOT NULL;
