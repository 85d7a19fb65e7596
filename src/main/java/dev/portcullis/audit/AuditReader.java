package dev.portcullis.audit;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** SQL that reads the audit log: filtered pages, the chain in order for verification, chain heads. */
public final class AuditReader {

  private static final String SELECT = "SELECT " + StoredEvent.COLUMNS + " FROM audit_events WHERE ";
  private static final String CHAIN_PAGE =
      SELECT + "app_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4";
  private static final String HEAD = "SELECT seq, hash, keyed_from_seq FROM audit_chain_heads WHERE app_id = $1";
  /**
   * Where a chain's stored part may start once its older months left by the retention path: the exports that
   * hold the event just before the oldest stored one (or, with none stored, the head's), latest first. Only
   * exports of a month that has ended and whose partition is no longer attached: while a month's partition is
   * attached its events are in the database, and an export of it explains no missing one. Each row's MAC is
   * checked by the caller ({@link ExportLedger}).
   */
  private static final String ARCHIVED_THROUGH =
      "WITH oldest AS (SELECT coalesce((SELECT min(seq) FROM audit_events WHERE app_id = $1), $2 + 1) AS seq) "
          + "SELECT x.month, x.first_seq, x.last_seq, x.head_hash, x.file_sha256, x.key_id, x.mac "
          + "FROM oldest, audit_exports AS x WHERE x.app_id = $1 "
          + "AND oldest.seq > 1 AND x.first_seq <= oldest.seq AND x.last_seq + 1 >= oldest.seq "
          + "AND (x.month + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= now() "
          + "AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'audit_events'::regclass "
          + "AND inhrelid = to_regclass('audit_events_' || to_char(x.month, 'YYYY_MM'))) "
          + "ORDER BY x.last_seq DESC";

  /** A chain's head: its last event's seq and hash, and the seq from which its links are keyed. */
  record Head(long seq, String hash, long keyedFromSeq) {
  }

  /** One page of events, newest first, and the cursor of the next page (null on the last). */
  record Page(List<StoredEvent> events, String nextCursor) {
  }

  private final Postgres pg;

  public AuditReader(Postgres pg) {
    this.pg = pg;
  }

  Future<Page> page(UUID appId, AuditQuery query) {
    // Only fixed fragments go into the text; every value is a parameter.
    List<String> where = new ArrayList<>(List.of("app_id = $1"));
    Tuple params = Tuple.of(appId);
    if (query.beforeSeq() != null) {
      where.add("seq < $" + add(params, query.beforeSeq()));
    }
    if (query.type() != null) {
      where.add("type = $" + add(params, query.type()));
    }
    if (query.userId() != null) {
      where.add("user_id = $" + add(params, query.userId()));
    }
    if (query.since() != null) {
      where.add("at >= $" + add(params, query.since().atOffset(ZoneOffset.UTC)));
    }
    if (query.until() != null) {
      where.add("at < $" + add(params, query.until().atOffset(ZoneOffset.UTC)));
    }
    String sql = SELECT + String.join(" AND ", where) + " ORDER BY seq DESC LIMIT $" + add(params, query.limit() + 1);
    return pg.run(pool -> pool.preparedQuery(sql).execute(params))
        .map(rows -> {
          List<StoredEvent> events = events(rows);
          if (events.size() <= query.limit()) {
            return new Page(events, null);
          }
          List<StoredEvent> page = events.subList(0, query.limit());
          return new Page(page, AuditQuery.cursor(page.get(page.size() - 1).seq()));
        });
  }

  /** Up to {@code limit} events of the chain after {@code afterSeq} and up to {@code upToSeq}, oldest first. */
  Future<List<StoredEvent>> chain(UUID appId, long afterSeq, long upToSeq, int limit) {
    return pg.run(pool -> pool.preparedQuery(CHAIN_PAGE).execute(Tuple.of(appId, afterSeq, upToSeq, limit)))
        .map(AuditReader::events);
  }

  /** The chain's head, or null when the app has no audit event. */
  Future<Head> head(UUID appId) {
    return pg.run(pool -> pool.preparedQuery(HEAD).execute(Tuple.of(appId))).map(AuditReader::head);
  }

  /**
   * The last seq and hash of the chain's exported and detached part, or null when the stored events start at
   * the chain's beginning or no authentic ledger row (its MAC valid under {@code ledgerKey}) records what came
   * before them: a forged or legacy row is not trusted, so the walk then reports the missing events.
   */
  Future<Head> archivedThrough(UUID appId, Head head, byte[] ledgerKey) {
    return pg.run(pool -> pool.preparedQuery(ARCHIVED_THROUGH).execute(Tuple.of(appId, head.seq())))
        .map(rows -> {
          for (Row row : rows) {
            ExportLedger.Entry entry = new ExportLedger.Entry(YearMonth.from(row.getLocalDate("month")), appId,
                row.getLong("first_seq"), row.getLong("last_seq"), row.getString("head_hash"),
                row.getString("file_sha256"), row.getString("key_id"), row.getString("mac"));
            if (entry.authentic(ledgerKey)) {
              return new Head(entry.lastSeq(), entry.headHash(), head.keyedFromSeq());
            }
          }
          return null;
        });
  }

  private static Head head(RowSet<Row> rows) {
    var iterator = rows.iterator();
    if (!iterator.hasNext()) {
      return null;
    }
    Row row = iterator.next();
    return new Head(row.getLong("seq"), row.getString("hash"), row.getLong("keyed_from_seq"));
  }

  private static int add(Tuple params, Object value) {
    params.addValue(value);
    return params.size();
  }

  private static List<StoredEvent> events(RowSet<Row> rows) {
    List<StoredEvent> events = new ArrayList<>(rows.size());
    rows.forEach(row -> events.add(StoredEvent.fromRow(row)));
    return events;
  }
}
