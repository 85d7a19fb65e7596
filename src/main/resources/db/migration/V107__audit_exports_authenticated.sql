-- The retention ledger is authenticated and append-only (probe): GET /audit/verify starts a chain after the
-- export that holds the event before its oldest stored one, so a row written by hand (a superuser with
-- session_replication_role = replica, say) could hide events deleted from a month still attached.

-- 1. mac: hex HMAC-SHA256 under a purpose key of PORTCULLIS_MASTER_KEY over the row's month, app, seq range,
--    head hash, file digest and key id (ExportLedger). Written by audit-export; verify trusts no row without a
--    valid one. Rows of earlier releases have none (NULL): verify does not trust them either (README, Ledger).
ALTER TABLE audit_exports ADD COLUMN mac text CHECK (mac ~ '^[0-9a-f]{64}$');

-- 2. Append-only, like audit_events: a trigger refuses UPDATE, DELETE and TRUNCATE for every role (the owner
--    and superusers included, unless they switch it off on purpose); V100 already revoked the privileges.
CREATE FUNCTION audit_exports_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_exports is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_exports_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_exports
  FOR EACH STATEMENT EXECUTE FUNCTION audit_exports_refuse_change();
