-- Portcullis schema: durable records. Short-lived state (OTP requests, rate limits) lives in Redis.

CREATE TABLE apps (
  id            uuid PRIMARY KEY,
  owner_id      uuid,                      -- a user of the console app; NULL for apps made with the admin key
  name          text        NOT NULL,
  slug          text        NOT NULL UNIQUE, -- the aud of the app's tokens
  secret_hash   bytea       NOT NULL,      -- HMAC-SHA256 of the app secret under a key derived from the master key
  callback_urls jsonb       NOT NULL DEFAULT '[]',
  settings      jsonb       NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX apps_owner ON apps (owner_id, created_at);

-- The built-in console app: owners are its users, owner tokens are its access tokens. Its slug does not
-- match the slug rule of client apps, so no client app can share its audience; its empty secret hash
-- never equals an HMAC, so no client can authenticate as it.
INSERT INTO apps (id, owner_id, name, slug, secret_hash, callback_urls, settings)
VALUES ('00000000-0000-0000-0000-000000000001', NULL, 'Portcullis console', 'portcullis:console', ''::bytea,
        '[]', '{"otp_channels": ["email", "sms"]}');

CREATE TABLE signing_keys (
  kid           text PRIMARY KEY,
  app_id        uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  public_pem    text        NOT NULL,
  private_enc   bytea       NOT NULL,      -- AES-256-GCM: 12-byte nonce || ciphertext+tag, under the master key
  created_at    timestamptz NOT NULL DEFAULT now(),
  retired_at    timestamptz,               -- set when a newer key takes over signing
  publish_until timestamptz                -- retired keys stay in the JWKS until their last token expired
);
CREATE INDEX signing_keys_app ON signing_keys (app_id, created_at DESC);

CREATE TABLE users (
  id         uuid PRIMARY KEY,
  app_id     uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  email      text,
  phone      text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
CREATE UNIQUE INDEX users_app_email ON users (app_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_app_phone ON users (app_id, phone) WHERE phone IS NOT NULL;

CREATE TABLE sessions (
  id         uuid PRIMARY KEY,
  app_id     uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX sessions_user ON sessions (app_id, user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
  token_hash     bytea PRIMARY KEY,        -- SHA-256 of the opaque token
  session_id     uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  spent_at       timestamptz,
  successor_hash bytea
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE audit_events (
  id         uuid PRIMARY KEY,
  app_id     uuid        NOT NULL,         -- no foreign key: the log outlives a deleted app
  seq        bigint      NOT NULL,
  at         timestamptz NOT NULL,
  type       text        NOT NULL,
  user_id    uuid,
  request_id text,
  client_ip  text,
  data       jsonb       NOT NULL DEFAULT '{}',
  hash       text        NOT NULL,
  UNIQUE (app_id, seq)
);
CREATE INDEX audit_events_type ON audit_events (app_id, type, seq DESC);
CREATE INDEX audit_events_user ON audit_events (app_id, user_id, seq DESC);

CREATE TABLE audit_chain_heads (
  app_id uuid PRIMARY KEY,
  seq    bigint NOT NULL,
  hash   text   NOT NULL
);
