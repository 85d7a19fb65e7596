-- The audit log is append-only, and the database itself enforces it (issue 6).

-- 1. A trigger refuses UPDATE, DELETE and TRUNCATE on audit rows for every role, the owner and superusers
--    included (a superuser can still disable it on purpose: that is what verify exists to catch).
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

-- 2. Chain heads only move forward: a head that went back or vanished would let a writer fork a chain.
CREATE FUNCTION audit_chain_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.app_id = OLD.app_id AND NEW.seq > OLD.seq THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_chain_heads only move forward: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_chain_heads_forward_only
  BEFORE UPDATE OR DELETE ON audit_chain_heads
  FOR EACH ROW EXECUTE FUNCTION audit_chain_heads_forward_only();

CREATE TRIGGER audit_chain_heads_no_truncate
  BEFORE TRUNCATE ON audit_chain_heads
  FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_heads_forward_only();

-- 3. The role that runs the migrations (and, in a single-role deployment, the gateway) gives up the
--    privileges it never needs. A superuser ignores privileges, and an owner could grant them back, so this
--    is a second fence behind the trigger, not a replacement; deployments with a separate runtime role
--    should grant it only SELECT, INSERT on audit_events and SELECT, INSERT, UPDATE on audit_chain_heads.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM CURRENT_USER;
REVOKE DELETE, TRUNCATE ON audit_chain_heads FROM PUBLIC;
REVOKE DELETE, TRUNCATE ON audit_chain_heads FROM CURRENT_USER;

-- 4. What the writer always produces, so a hand-made row stands out.
ALTER TABLE audit_events
  ADD CONSTRAINT audit_events_seq_positive CHECK (seq > 0),
  ADD CONSTRAINT audit_events_hash_hex CHECK (hash ~ '^[0-9a-f]{64}$');
