-- Users, roles and tenants: the role catalogue of each app (five built-ins with fixed ids, custom roles from
-- 100), app-wide grants, tenants and their members with per-tenant roles, and the indexes that keep the
-- admin user list and search index-backed at a million users per app.

CREATE TABLE roles (
  app_id      uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  id          int         NOT NULL,
  name        text        NOT NULL,
  description text,
  builtin     boolean     NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app_id, id),
  UNIQUE (app_id, name),
  CHECK (builtin = (id < 100))
);

-- Every app holds the built-ins as rows, so grants can reference any role with one foreign key.
CREATE FUNCTION insert_builtin_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO roles (app_id, id, name, description, builtin)
  VALUES (NEW.id, 1, 'USER', 'Built-in role 1', true),
         (NEW.id, 2, 'SELLER', 'Built-in role 2', true),
         (NEW.id, 3, 'BUYER', 'Built-in role 3', true),
         (NEW.id, 4, 'SEMIADMIN', 'Built-in role 4', true),
         (NEW.id, 5, 'ADMIN', 'Built-in role 5', true);
  RETURN NULL;
END $$;
CREATE TRIGGER apps_builtin_roles AFTER INSERT ON apps FOR EACH ROW EXECUTE FUNCTION insert_builtin_roles();

INSERT INTO roles (app_id, id, name, description, builtin)
SELECT a.id, b.id, b.name, 'Built-in role ' || b.id, true
FROM apps a CROSS JOIN (VALUES (1, 'USER'), (2, 'SELLER'), (3, 'BUYER'), (4, 'SEMIADMIN'), (5, 'ADMIN')) b (id, name);

-- App-wide grants. Deleting a custom role deletes its grants (the foreign key cascades).
CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  app_id  uuid NOT NULL,
  role_id int  NOT NULL,
  PRIMARY KEY (user_id, role_id),
  FOREIGN KEY (app_id, role_id) REFERENCES roles (app_id, id) ON DELETE CASCADE
);
CREATE INDEX user_roles_role ON user_roles (app_id, role_id);

-- A new user gets the app's default_roles setting (names or ids; ["USER"] when unset), whichever path
-- creates it (OTP login, the admin API, sign-up, hosted pages): the rule lives next to the data.
CREATE FUNCTION grant_default_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_roles (user_id, app_id, role_id)
  SELECT NEW.id, NEW.app_id, r.id
  FROM apps a
  CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(a.settings -> 'default_roles', '["USER"]'::jsonb)) d (role)
  JOIN roles r ON r.app_id = a.id AND (r.name = d.role OR r.id::text = d.role)
  WHERE a.id = NEW.app_id
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER users_default_roles AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION grant_default_roles();

-- Existing users get their app's default roles.
INSERT INTO user_roles (user_id, app_id, role_id)
SELECT u.id, u.app_id, r.id
FROM users u
JOIN apps a ON a.id = u.app_id
CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(a.settings -> 'default_roles', '["USER"]'::jsonb)) d (role)
JOIN roles r ON r.app_id = a.id AND (r.name = d.role OR r.id::text = d.role)
ON CONFLICT DO NOTHING;

CREATE TABLE tenants (
  id         uuid PRIMARY KEY,
  app_id     uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  name       text        NOT NULL,
  slug       text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (app_id, slug)
);
CREATE INDEX tenants_app_page ON tenants (app_id, created_at DESC, id DESC);

-- Members and their per-tenant roles (role ids of the app's catalogue; a deleted custom role is removed
-- from every membership in the same transaction as the role).
CREATE TABLE tenant_members (
  tenant_id uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  app_id    uuid        NOT NULL,
  roles     int[]       NOT NULL DEFAULT '{}',
  added_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX tenant_members_page ON tenant_members (tenant_id, added_at DESC, user_id DESC);
CREATE INDEX tenant_members_user ON tenant_members (user_id);
CREATE INDEX tenant_members_roles ON tenant_members USING gin (roles);

-- The admin user list: newest first, keyset-paged on (created_at, id).
CREATE INDEX users_app_page ON users (app_id, created_at DESC, id DESC);
-- Search by email prefix and E.164 phone prefix (LIKE 'prefix%' whatever the database collation).
CREATE INDEX users_app_email_prefix ON users (app_id, email text_pattern_ops) WHERE email IS NOT NULL;
CREATE INDEX users_app_phone_prefix ON users (app_id, phone text_pattern_ops) WHERE phone IS NOT NULL;
-- A user's live sessions (the admin sessions list), newest first, keyset-paged on (created_at, id).
CREATE INDEX sessions_user_page ON sessions (user_id, created_at DESC, id DESC) WHERE revoked_at IS NULL;
