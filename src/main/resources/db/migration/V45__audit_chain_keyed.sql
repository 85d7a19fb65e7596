-- Tamper evidence that holds (issue 12): from a recorded seq per app on, the audit chain's links are
-- HMAC-SHA256 under a purpose key of PORTCULLIS_MASTER_KEY, so someone with database access but without the
-- master key cannot recompute them. Earlier links stay SHA-256 (their rows cannot be rewritten: V10's trigger).
--
-- keyed_from_seq: the first seq of the chain with a keyed link. An existing chain switches after its current
-- head (seq + 1); a chain created from now on is keyed from its first event (1, as the writer inserts it).
ALTER TABLE audit_chain_heads ADD COLUMN keyed_from_seq bigint;

-- V10's trigger refuses any update that does not move a head forward; this one-time backfill moves none.
ALTER TABLE audit_chain_heads DISABLE TRIGGER audit_chain_heads_forward_only;
UPDATE audit_chain_heads SET keyed_from_seq = seq + 1;
ALTER TABLE audit_chain_heads ENABLE TRIGGER audit_chain_heads_forward_only;

ALTER TABLE audit_chain_heads
  ALTER COLUMN keyed_from_seq SET NOT NULL,
  ADD CONSTRAINT audit_chain_heads_keyed_from_positive CHECK (keyed_from_seq >= 1);

-- A head only moves forward, and its switch point never moves at all: moving it later would let the keyed
-- links after it be passed off as SHA-256 ones that anyone can recompute.
CREATE OR REPLACE FUNCTION audit_chain_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.app_id = OLD.app_id AND NEW.seq > OLD.seq AND NEW.keyed_from_seq = OLD.keyed_from_seq THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_chain_heads only move forward and keep keyed_from_seq: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

-- A new head is keyed from the event after it: the writer inserts heads at seq 0 (keyed from 1). A head
-- inserted without keyed_from_seq (an older gateway during an upgrade, a hand-made row) gets the same rule.
CREATE FUNCTION audit_chain_heads_keyed_from_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.keyed_from_seq := coalesce(NEW.keyed_from_seq, NEW.seq + 1);
  IF NEW.keyed_from_seq <> NEW.seq + 1 THEN
    RAISE EXCEPTION 'a new audit chain head is keyed from the seq after it (%), not %', NEW.seq + 1, NEW.keyed_from_seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_chain_heads_keyed_from_next
  BEFORE INSERT ON audit_chain_heads
  FOR EACH ROW EXECUTE FUNCTION audit_chain_heads_keyed_from_next();
