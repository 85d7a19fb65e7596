-- audit_partition_detach (V100) with drop_table also drops a month detached earlier without it (probe: a plain
-- detach followed by `audit-detach --drop` failed with "has no attached partition"). The detached table gets the
-- same coverage check as an attached partition: every event of it in the seq range of an export of its app.
-- CREATE OR REPLACE keeps the owner and V100's REVOKE EXECUTE FROM PUBLIC.
CREATE OR REPLACE FUNCTION audit_partition_detach(month date, drop_table boolean) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  first date := date_trunc('month', month)::date;
  part text := 'audit_events_' || to_char(first, 'YYYY_MM');
  attached boolean;
  total bigint;
  uncovered bigint;
BEGIN
  IF (first + interval '1 month')::timestamp AT TIME ZONE 'UTC' > now() THEN
    RAISE EXCEPTION 'audit month % is not closed yet', to_char(first, 'YYYY-MM')
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  attached := EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(part) AND inhparent = 'audit_events'::regclass);
  IF NOT attached AND to_regclass(part) IS NOT NULL AND NOT drop_table THEN
    RAISE EXCEPTION 'audit month % is already detached (% is a table of its own): drop it with drop_table',
      to_char(first, 'YYYY-MM'), part USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF NOT attached AND to_regclass(part) IS NULL THEN
    RAISE EXCEPTION 'audit month % has no partition %, attached or detached', to_char(first, 'YYYY-MM'), part
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF attached AND EXISTS (SELECT 1 FROM audit_events_default
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
  IF attached THEN
    -- DETACH takes ACCESS EXCLUSIVE on audit_events: give up rather than queue the inserts behind a long read.
    PERFORM set_config('lock_timeout', '1s', true);
    EXECUTE format('ALTER TABLE audit_events DETACH PARTITION %I', part);
  END IF;
  IF drop_table THEN
    EXECUTE format('DROP TABLE %I', part);
  END IF;
  RETURN total;
END
$$;
