-- OpenID Connect sessions: the scope a user granted to the app's OpenID Connect client and when they signed in.
-- A session without a row here is a REST API session. The row goes with its session.
CREATE TABLE oidc_sessions (
  session_id uuid        PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
  app_id     uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  scope      text        NOT NULL,
  auth_time  timestamptz NOT NULL,
  amr        text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
