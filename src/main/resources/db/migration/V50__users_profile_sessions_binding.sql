-- Users, passwords, tenants and devices share these columns; each capability's own tables come in its
-- own migration range (V51-V59 users and tenants, V60-V69 passwords, V70-V79 licenses, V80-V89 hosted
-- sign-in and conversations, V90-V99 OpenID Connect, V41-V49 hardening, V100-V109 audit at scale).

ALTER TABLE users
  ADD COLUMN email_verified    boolean     NOT NULL DEFAULT false,
  ADD COLUMN phone_verified    boolean     NOT NULL DEFAULT false,
  ADD COLUMN profile           jsonb       NOT NULL DEFAULT '{}',  -- {name, address, gender, dob}
  ADD COLUMN disabled          boolean     NOT NULL DEFAULT false,
  ADD COLUMN password_hash     text,                                -- Argon2id PHC string; never answered
  ADD COLUMN last_login_at     timestamptz,
  ADD COLUMN terms_accepted_at timestamptz;

-- A user who has signed in with a code has proven that channel.
UPDATE users SET email_verified = true WHERE email IS NOT NULL;
UPDATE users SET phone_verified = true WHERE phone IS NOT NULL;

ALTER TABLE sessions
  ADD COLUMN tenant_id    uuid,        -- the tenant the session is bound to (tokens carry it as tid)
  ADD COLUMN device_id    uuid,        -- the licensed device the session is bound to (tokens carry did)
  ADD COLUMN client_ip    text,
  ADD COLUMN last_used_at timestamptz;
CREATE INDEX sessions_tenant ON sessions (tenant_id) WHERE tenant_id IS NOT NULL AND revoked_at IS NULL;
CREATE INDEX sessions_device ON sessions (device_id) WHERE device_id IS NOT NULL AND revoked_at IS NULL;
