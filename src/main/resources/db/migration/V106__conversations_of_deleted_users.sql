-- A finished conversation's result holds the user's identity fields and their conversation token and challenge:
-- personal data that deleting the user must erase. The conversation now names its user, and goes with them.
ALTER TABLE conversations ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user_id) WHERE user_id IS NOT NULL;

-- Conversations finished before this release: their user, from the token of their result, else the email or
-- phone it names (a conversation only ever finishes for a user of its app).
UPDATE conversations c SET user_id = cc.user_id FROM conversation_credentials cc
WHERE c.user_id IS NULL AND c.status = 'FINISHED' AND cc.app_id = c.app_id
  AND cc.token::text = c.result->'auth'->>'token';
UPDATE conversations c SET user_id = u.id FROM users u
WHERE c.user_id IS NULL AND c.status = 'FINISHED' AND u.app_id = c.app_id
  AND (u.email = c.result->'identity'->>'EMAIL' OR u.phone = c.result->'identity'->>'PHONE');
