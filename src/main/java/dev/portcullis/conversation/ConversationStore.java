package dev.portcullis.conversation;

import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** SQL for conversations and their users' tokens and challenges, kept in one place. */
final class ConversationStore {

  /** A conversation lives this long from its creation. */
  static final int TTL_SECONDS = 1800;

  private static final String INSERT =
      "INSERT INTO conversations (id, app_id, user_key, return_url, query, status, result, expires_at, finished_at) "
          + "VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::int * interval '1 second', "
          + "CASE WHEN $6 = 'FINISHED' THEN now() END) RETURNING " + Conversation.COLUMNS;

  private static final String BY_APP =
      "SELECT " + Conversation.COLUMNS + " FROM conversations WHERE id = $1 AND app_id = $2";

  /**
   * Binds an open conversation to the first browser that opens it, in one statement: a second browser finds
   * no row. The second SELECT tells why (unknown, over, or bound elsewhere) without a second round trip.
   */
  /** The conversation's app is not being deleted: its link then answers as an unknown one, and binds nothing. */
  private static final String APP_LIVE =
      "EXISTS (SELECT 1 FROM apps a WHERE a.id = conversations.app_id AND a.deleted_at IS NULL)";
  private static final String BIND =
      "WITH bound AS (UPDATE conversations SET browser_hash = $2, status = 'IN_PROGRESS' "
          + "WHERE id = $1 AND status <> 'FINISHED' AND expires_at > now() "
          + "AND (browser_hash IS NULL OR browser_hash = $2) AND " + APP_LIVE + " RETURNING " + Conversation.COLUMNS
          + ") SELECT *, false AS elsewhere FROM bound UNION ALL "
          + "SELECT " + Conversation.COLUMNS + ", true AS elsewhere FROM conversations "
          + "WHERE id = $1 AND " + APP_LIVE + " AND NOT EXISTS (SELECT 1 FROM bound)";

  /** Ends an unfinished conversation before its time: it reads EXPIRED from now on. */
  private static final String END =
      "UPDATE conversations SET expires_at = now() WHERE id = $1 AND status <> 'FINISHED' AND expires_at > now()";

  private static final String FINISH =
      "UPDATE conversations SET status = 'FINISHED', result = $2, user_id = $3, finished_at = now() "
          + "WHERE id = $1 AND status = 'IN_PROGRESS' AND expires_at > now() RETURNING return_url";

  private static final String CREDENTIALS =
      "WITH found AS (SELECT token, challenge FROM conversation_credentials "
          + "WHERE app_id = $1 AND user_id = $2 AND method = $3), "
          + "inserted AS (INSERT INTO conversation_credentials (app_id, user_id, method, token, challenge) "
          + "SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM found) ON CONFLICT DO NOTHING "
          + "RETURNING token, challenge) "
          + "SELECT token, challenge FROM found UNION ALL SELECT token, challenge FROM inserted";

  private static final String BY_CHALLENGE =
      "SELECT c.user_id, c.method, u.email, u.phone FROM conversation_credentials c JOIN users u ON u.id = c.user_id "
          + "WHERE c.app_id = $1 AND c.challenge = $2";

  /** The user a challenge names, and the method (email or phone) it was registered with. */
  record Challenged(UUID userId, String method, String email, String phone) {
  }

  /** A user's token and challenge for one method. */
  record Credentials(UUID token, UUID challenge) {
  }

  private final Postgres pg;

  ConversationStore(Postgres pg) {
    this.pg = pg;
  }

  Future<Conversation> insert(UUID id, UUID appId, String userKey, String returnUrl, JsonObject query, String status,
                              JsonObject result) {
    Tuple args = Tuple.of(id, appId, userKey, returnUrl, query, status, result, TTL_SECONDS);
    return pg.run(pool -> pool.preparedQuery(INSERT).execute(args))
        .map(rows -> Conversation.fromRow(rows.iterator().next(), false));
  }

  /** The app's conversation, or null. */
  Future<Conversation> find(UUID id, UUID appId) {
    return pg.run(pool -> pool.preparedQuery(BY_APP).execute(Tuple.of(id, appId)))
        .map(rows -> rows.rowCount() == 0 ? null : Conversation.fromRow(rows.iterator().next(), false));
  }

  /** The conversation once bound to this browser; {@code boundElsewhere} or a closed status when it cannot be. */
  Future<Conversation> bind(UUID id, byte[] browserHash) {
    return pg.run(pool -> pool.preparedQuery(BIND).execute(Tuple.of(id, Buffer.buffer(browserHash))))
        .map(rows -> {
          if (rows.rowCount() == 0) {
            return null;
          }
          Row row = rows.iterator().next();
          return Conversation.fromRow(row, row.getBoolean("elsewhere"));
        });
  }

  /**
   * Stores the user's result; the return URL, or null when the conversation was no longer in progress. The
   * conversation is deleted with the user: its result is their data.
   */
  Future<String> finish(UUID id, JsonObject result, UUID userId) {
    return pg.run(pool -> pool.preparedQuery(FINISH).execute(Tuple.of(id, result, userId)))
        .map(rows -> rows.rowCount() == 0 ? null : rows.iterator().next().getString("return_url"));
  }

  /** Ends the conversation now (EXPIRED) unless it finished: its page can no longer get it there. */
  Future<Void> end(UUID id) {
    return pg.run(pool -> pool.preparedQuery(END).execute(Tuple.of(id))).mapEmpty();
  }

  /** The user's token and challenge for the method, made on first use: the same pair every time after. */
  Future<Credentials> credentials(UUID appId, UUID userId, String method) {
    Tuple args = Tuple.of(appId, userId, method, UUID.randomUUID(), UUID.randomUUID());
    return pg.run(pool -> pool.preparedQuery(CREDENTIALS).execute(args))
        .compose(rows -> rows.rowCount() > 0
            ? Future.succeededFuture(credentials(rows))
            // A concurrent first use committed after this statement's snapshot: read its pair.
            : pg.run(pool -> pool.preparedQuery(CREDENTIALS).execute(args)).map(ConversationStore::credentials));
  }

  /** The user a challenge names in this app, or null for an unknown challenge. */
  Future<Challenged> challenged(UUID appId, UUID challenge) {
    return pg.run(pool -> pool.preparedQuery(BY_CHALLENGE).execute(Tuple.of(appId, challenge)))
        .map(rows -> {
          if (rows.rowCount() == 0) {
            return null;
          }
          Row row = rows.iterator().next();
          return new Challenged(row.getUUID("user_id"), row.getString("method"), row.getString("email"),
              row.getString("phone"));
        });
  }

  private static Credentials credentials(RowSet<Row> rows) {
    Row row = rows.iterator().next();
    return new Credentials(row.getUUID("token"), row.getUUID("challenge"));
  }
}
