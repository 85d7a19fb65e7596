-- Which PORTCULLIS_MASTER_KEY this database's secrets are sealed and hashed under: an HMAC-SHA256 of a fixed label
-- with the key (it tells nothing of the key). Recorded at the first start; a start with another key is refused,
-- where it used to run with every app secret, signing key and audit chain key silently wrong.
CREATE TABLE master_key_check (
  singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  digest      bytea       NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
