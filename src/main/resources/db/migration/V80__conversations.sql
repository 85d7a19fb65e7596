-- Conversations (Authologic-compatible): a client backend's registration or authentication flow, its state and
-- its result, read back by the backend with GET /api/conversations/{id}.
CREATE TABLE conversations (
  id           uuid        PRIMARY KEY,
  app_id       uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  user_key     text        NOT NULL,
  return_url   text        NOT NULL,
  query        jsonb       NOT NULL,
  status       text        NOT NULL CHECK (status IN ('CREATED', 'IN_PROGRESS', 'FINISHED')),
  -- SHA-256 of the browser cookie of the first browser that opened the url; no other browser may continue
  browser_hash bytea,
  result       jsonb       NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  finished_at  timestamptz
);
CREATE INDEX conversations_app ON conversations (app_id, created_at);

-- A user's token and challenge for one sign-in method of one app: the same pair every time, so a backend can
-- keep them as the user's key and send the challenge to start an authentication.
CREATE TABLE conversation_credentials (
  app_id     uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  method     text        NOT NULL,
  token      uuid        NOT NULL UNIQUE,
  challenge  uuid        NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, user_id, method)
);
