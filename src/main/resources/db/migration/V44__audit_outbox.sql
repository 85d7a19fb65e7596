-- Audit before acknowledgement: a change to an app (create, change, delete, secret and key rotation) stages its
-- audit event here in the same transaction as the change, so a failure leaves neither. After the commit the
-- request records the event in the hash chain and deletes its row; the audit verticle moves rows left behind
-- (a crash, an audit outage) into the chain a few seconds later.
CREATE TABLE IF NOT EXISTS audit_outbox (
  id         bigserial   PRIMARY KEY,
  event_id   uuid        NOT NULL UNIQUE,
  event      jsonb       NOT NULL,
  staged_at  timestamptz NOT NULL DEFAULT now()
);
