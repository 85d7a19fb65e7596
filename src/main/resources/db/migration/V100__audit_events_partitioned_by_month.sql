-- Audit at scale (issue 19): audit_events is partitioned by the UTC month of `at`, so a closed month can
-- leave the database by the retention path (export with a signed head, verify, detach) instead of the table
-- growing forever in one piece. The rows are moved here; nothing about an event (columns, hash) changes.
--
-- Uniqueness of (app_id, seq). A unique constraint of a partitioned table must include the partition key,
-- and UNIQUE (app_id, seq, at) would not stop the same seq in two months. So the guarantee has two parts:
--   * within a month, each partition has its own UNIQUE index on (app_id, seq) (made by
--     audit_partition_secure below, for every partition, the DEFAULT one included);
--   * across months, the chain heads: the writer inserts an app's events only together with moving that app's
--     head past them (one statement, or one transaction holding the head's row lock), and
--     audit_chain_heads_forward_only (V10) refuses any head that does not move strictly forward. Two writes of
--     one seq would need the head to reach that seq twice, which the trigger refuses.
--   A row slipped in by hand past both (as the owner, with the triggers disabled) is what verify exists to
--   catch: the walk reports the duplicate as a seq_gap. The cheaper alternative, a global uniqueness check in
--   a row trigger, would cost every insert a probe of every partition.
--
-- Immutability. Statement triggers of a partitioned table fire only for statements on the parent, not for a
-- statement aimed at a partition directly, so every partition gets its own audit_events_append_only
-- statement trigger (UPDATE, DELETE, TRUNCATE) and its own REVOKEs. Privileges are checked on the table a
-- statement names, so the grants the old table had (a separate runtime role's SELECT, INSERT) are copied
-- to the parent, the only table the gateway names.

-- 1. The old table steps aside; its constraint-backed indexes are renamed so the new ones can take the names.
ALTER TABLE audit_events RENAME TO audit_events_unpartitioned;
ALTER TABLE audit_events_unpartitioned RENAME CONSTRAINT audit_events_pkey TO audit_events_unpartitioned_pkey;
ALTER TABLE audit_events_unpartitioned RENAME CONSTRAINT audit_events_app_id_seq_key TO audit_events_unpartitioned_app_seq;
ALTER INDEX audit_events_type RENAME TO audit_events_unpartitioned_type;
ALTER INDEX audit_events_user RENAME TO audit_events_unpartitioned_user;

-- 2. The partitioned table: the same columns in the same order, with their defaults and CHECK constraints
--    (LIKE keeps any column an earlier migration added), the primary key widened by the partition key.
CREATE TABLE audit_events (
  LIKE audit_events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
  CONSTRAINT audit_events_pkey PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX audit_events_type ON audit_events (app_id, type, seq DESC);
CREATE INDEX audit_events_user ON audit_events (app_id, user_id, seq DESC);

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM CURRENT_USER;

DO $$
DECLARE
  grant_row record;
BEGIN
  FOR grant_row IN
    SELECT a.privilege_type, a.grantee::regrole::text AS grantee
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = 'audit_events_unpartitioned'::regclass
       AND a.grantee <> 0 AND a.grantee <> c.relowner
       AND a.privilege_type IN ('SELECT', 'INSERT', 'REFERENCES', 'TRIGGER')
  LOOP
    EXECUTE format('GRANT %s ON audit_events TO %s', grant_row.privilege_type, grant_row.grantee);
  END LOOP;
END
$$;

-- 3. What every partition gets: the per-month uniqueness of (app_id, seq), the append-only trigger and the
--    REVOKEs (see above). Called only on a partition just created.
CREATE FUNCTION audit_partition_secure(part text) RETURNS void
  LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  EXECUTE format('CREATE UNIQUE INDEX ON %I (app_id, seq)', part);
  EXECUTE format('CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %I '
      'FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()', part);
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM PUBLIC', part);
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM %I', part, current_user);
END
$$;

-- 4. One month's partition, audit_events_YYYY_MM, bounded by UTC midnights; false when a table of that name
--    exists already (attached, or detached by the retention path: a detached month is not re-created).
--    Made as a table of its own, then attached: ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on audit_events,
--    which inserts do not wait for, where CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE and queue
--    every insert behind it. The CHECK matching the bounds spares the attach a scan of the new table.
CREATE FUNCTION audit_partition_create(month date) RETURNS boolean
  LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  part text := 'audit_events_' || to_char(first, 'YYYY_MM');
  low timestamptz := first::timestamp AT TIME ZONE 'UTC';
  high timestamptz := (first + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE audit_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
      'CONSTRAINT %I CHECK (at >= %L AND at < %L))', part, part || '_bounds', low, high);
  PERFORM audit_partition_secure(part);
  EXECUTE format('ALTER TABLE audit_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, low, high);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_bounds');
  RETURN true;
END
$$;

-- 5. Rows that landed in the DEFAULT partition (their month's partition did not exist yet) move to their
--    months. A partition cannot be created while the DEFAULT holds rows of its range, and the append-only
--    trigger refuses the DELETE a move would need, so the DEFAULT is detached, the months are created, a
--    new DEFAULT takes its place, the rows are inserted again (unchanged) and the old DEFAULT is dropped.
--    Takes an exclusive lock on audit_events for that time: it only runs when the job fell behind.
CREATE FUNCTION audit_partitions_rehome_default() RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  month date;
  created integer := 0;
BEGIN
  ALTER TABLE audit_events DETACH PARTITION audit_events_default;
  ALTER TABLE audit_events_default RENAME TO audit_events_default_rehomed;
  FOR month IN SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM audit_events_default_rehomed LOOP
    IF audit_partition_create(month) THEN
      created := created + 1;
    END IF;
  END LOOP;
  CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
  PERFORM audit_partition_secure('audit_events_default');
  INSERT INTO audit_events SELECT * FROM audit_events_default_rehomed;
  DROP TABLE audit_events_default_rehomed;
  RETURN created;
END
$$;

-- 6. The periodic job: partitions from the current month to months_ahead months ahead, after re-homing the
--    DEFAULT's rows. One process at a time (a transaction-scoped advisory lock: the others return at once),
--    and never waiting long for a table lock (the attach of a month with a DEFAULT partition also locks the
--    DEFAULT, and re-homing locks audit_events, so inserts could queue behind it); a job that gave up runs
--    again at its next tick. Answers the partitions it created, or -1 when another process held the lock.
CREATE FUNCTION audit_partitions_ensure(months_ahead integer) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  month date;
  created integer := 0;
BEGIN
  IF NOT pg_try_advisory_xact_lock(7020537711240921088) THEN -- 'audparts' as a bigint
    RETURN -1;
  END IF;
  PERFORM set_config('lock_timeout', '500ms', true);
  IF EXISTS (SELECT 1 FROM audit_events_default) THEN
    created := created + audit_partitions_rehome_default();
  END IF;
  FOR i IN 0 .. greatest(months_ahead, 0) LOOP
    month := (this_month + make_interval(months => i))::date;
    IF audit_partition_create(month) THEN
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END
$$;

-- 7. The retention path's ledger: one row per app and exported month, written only after the exported file
--    verified. [first_seq, last_seq] is the contiguous part of the app's chain the file holds, head_hash the
--    hash of last_seq (the next export's starting point, and the database verify's once the rows are gone).
CREATE TABLE audit_exports (
  id          bigserial PRIMARY KEY,
  month       date        NOT NULL,
  app_id      uuid        NOT NULL,
  first_seq   bigint      NOT NULL CHECK (first_seq > 0),
  last_seq    bigint      NOT NULL,
  head_hash   text        NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  file_sha256 text        NOT NULL,
  key_id      text        NOT NULL,
  exported_at timestamptz NOT NULL DEFAULT now(),
  CHECK (last_seq >= first_seq)
);
CREATE INDEX audit_exports_app ON audit_exports (app_id, last_seq);
REVOKE UPDATE, DELETE, TRUNCATE ON audit_exports FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_exports FROM CURRENT_USER;

-- 8. Detaching (and optionally dropping) a closed month: refused unless every event of the partition lies in
--    the [first_seq, last_seq] of a verified export of its app, and unless the DEFAULT holds none of the
--    month's events. Only the owner may call it (EXECUTE revoked from PUBLIC).
CREATE FUNCTION audit_partition_detach(month date, drop_table boolean) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  part text := 'audit_events_' || to_char(first, 'YYYY_MM');
  total bigint;
  uncovered bigint;
BEGIN
  IF (first + interval '1 month')::timestamp AT TIME ZONE 'UTC' > now() THEN
    RAISE EXCEPTION 'audit month % is not closed yet', to_char(first, 'YYYY-MM')
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(part) AND inhparent = 'audit_events'::regclass) THEN
    RAISE EXCEPTION 'audit month % has no attached partition %', to_char(first, 'YYYY-MM'), part
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF EXISTS (SELECT 1 FROM audit_events_default
              WHERE at >= first::timestamp AT TIME ZONE 'UTC'
                AND at < (first + interval '1 month')::timestamp AT TIME ZONE 'UTC') THEN
    RAISE EXCEPTION 'the DEFAULT partition holds events of %: run audit_partitions_ensure first', to_char(first, 'YYYY-MM')
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  EXECUTE format('SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM audit_exports x '
      'WHERE x.app_id = p.app_id AND p.seq BETWEEN x.first_seq AND x.last_seq)) FROM %I AS p', part)
    INTO total, uncovered;
  IF uncovered > 0 THEN
    RAISE EXCEPTION '% of the % events of % are in no verified export', uncovered, total, part
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- DETACH takes ACCESS EXCLUSIVE on audit_events: give up rather than queue the inserts behind a long read.
  PERFORM set_config('lock_timeout', '1s', true);
  EXECUTE format('ALTER TABLE audit_events DETACH PARTITION %I', part);
  IF drop_table THEN
    EXECUTE format('DROP TABLE %I', part);
  END IF;
  RETURN total;
END
$$;
REVOKE EXECUTE ON FUNCTION audit_partition_detach(date, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_partitions_rehome_default() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_partition_secure(text) FROM PUBLIC;

-- 9. The DEFAULT partition (an insert never fails for want of a month), the months of the existing rows and
--    the months ahead, then the rows themselves, in chain order.
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
SELECT audit_partition_secure('audit_events_default');
SELECT audit_partition_create(m)
  FROM (SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date AS m FROM audit_events_unpartitioned) AS months;
SELECT audit_partitions_ensure(2);
INSERT INTO audit_events SELECT * FROM audit_events_unpartitioned ORDER BY app_id, seq;
DROP TABLE audit_events_unpartitioned;
