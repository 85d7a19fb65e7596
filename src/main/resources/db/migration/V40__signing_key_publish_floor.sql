-- A signing key retired by a rotation stays in the JWKS until publish_until = retirement + the app's
-- access_token_ttl + a margin. If access_token_ttl was shortened while the key was signing, tokens it
-- signed earlier may outlive that: publish_floor records how long they may live (set on the signing key
-- when the TTL is shortened), and a rotation publishes the retired key at least until then.
ALTER TABLE signing_keys ADD COLUMN publish_floor timestamptz;
