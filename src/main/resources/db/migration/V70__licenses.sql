-- License keys and device activation (issue 15): policies, licenses and the devices that hold their seats.

CREATE TABLE license_policies (
  id                      uuid PRIMARY KEY,
  app_id                  uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  name                    text        NOT NULL,
  max_devices             int         NOT NULL CHECK (max_devices BETWEEN 1 AND 100000),
  duration_seconds        bigint      CHECK (duration_seconds > 0),       -- NULL: perpetual
  entitlements            jsonb       NOT NULL DEFAULT '[]',
  heartbeat_interval      int         CHECK (heartbeat_interval BETWEEN 60 AND 604800), -- NULL: no heartbeats
  offline_ttl             int         NOT NULL,
  max_activations_per_day int         NOT NULL CHECK (max_activations_per_day BETWEEN 1 AND 1000),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX license_policies_app ON license_policies (app_id, created_at DESC, id DESC);

CREATE TABLE licenses (
  id                uuid PRIMARY KEY,
  app_id            uuid        NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
  policy_id         uuid        NOT NULL REFERENCES license_policies (id), -- NO ACTION: checked at statement end, so deleting an app works
  user_id           uuid        REFERENCES users (id) ON DELETE CASCADE,   -- NULL: a license of no user
  key_hash          bytea       NOT NULL UNIQUE, -- HMAC-SHA256 of app id and key under a key derived from the master key
  key_hint          text        NOT NULL,        -- the key's last group, to tell keys apart in a console
  name              text,
  metadata          jsonb       NOT NULL DEFAULT '{}',
  status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
  expires_at        timestamptz,                 -- NULL: perpetual; "expired" is computed from it
  expiry_handled_at timestamptz,                 -- set once the housekeeping job revoked an expired license's sessions
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licenses_app ON licenses (app_id, created_at DESC, id DESC);
CREATE INDEX licenses_user ON licenses (app_id, user_id, created_at DESC) WHERE user_id IS NOT NULL;
CREATE INDEX licenses_expiring ON licenses (expires_at) WHERE expires_at IS NOT NULL AND expiry_handled_at IS NULL;

CREATE TABLE license_devices (
  id                  uuid PRIMARY KEY,
  license_id          uuid        NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
  app_id              uuid        NOT NULL,
  fingerprint         text        NOT NULL,
  name                text,
  platform            text,
  activated_at        timestamptz NOT NULL DEFAULT now(),   -- first seen
  last_seen_at        timestamptz NOT NULL DEFAULT now(),
  last_heartbeat_at   timestamptz NOT NULL DEFAULT now(),
  deactivated_at      timestamptz,
  deactivation_reason text
);
-- One live device per fingerprint and license; the seat count is the number of live rows.
CREATE UNIQUE INDEX license_devices_live ON license_devices (license_id, fingerprint) WHERE deactivated_at IS NULL;
-- Activations of the last day (for max_activations_per_day) and the device list of a license.
CREATE INDEX license_devices_license ON license_devices (license_id, activated_at DESC);
CREATE INDEX license_devices_heartbeat ON license_devices (last_heartbeat_at) WHERE deactivated_at IS NULL;
