-- Staged audit events the audit log refuses (a key it keeps secrets out of, a type it does not take, a malformed
-- row): moved here, with why, rather than left at the head of the outbox, where every drain round retried them
-- and held back every later event of their user (probe h71). Only a bug stages such an event; each is logged as an
-- error when it is moved.
CREATE TABLE audit_outbox_rejected (
  id          bigint      PRIMARY KEY,
  event_id    uuid        NOT NULL,
  event       jsonb       NOT NULL,
  staged_at   timestamptz NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now(),
  reason      text        NOT NULL
);
