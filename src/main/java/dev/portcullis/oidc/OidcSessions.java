package dev.portcullis.oidc;

import dev.portcullis.core.Postgres;
import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.UUID;

/** The OpenID Connect side of sessions: the scope granted, when and how the user signed in. */
final class OidcSessions {

  private static final String INSERT =
      "INSERT INTO oidc_sessions (session_id, app_id, scope, auth_time, amr) VALUES ($1, $2, $3, $4, $5)";
  private static final String BY_SESSION =
      "SELECT session_id, scope, auth_time, amr FROM oidc_sessions WHERE session_id = $1 AND app_id = $2";
  /** The session of a refresh token (the token package stores it as its SHA-256), when it is an OIDC one. */
  private static final String BY_REFRESH_TOKEN =
      "SELECT o.session_id, o.scope, o.auth_time, o.amr FROM refresh_tokens rt "
          + "JOIN oidc_sessions o ON o.session_id = rt.session_id WHERE rt.token_hash = $1 AND o.app_id = $2";

  /** One OpenID Connect session. */
  record Granted(UUID sessionId, String scope, OffsetDateTime authTime, String amr) {

    boolean has(String wanted) {
      return Scopes.granted(scope).contains(wanted);
    }
  }

  private final Postgres pg;

  OidcSessions(Postgres pg) {
    this.pg = pg;
  }

  Future<Void> record(UUID sessionId, UUID appId, String scope, OffsetDateTime authTime, String amr) {
    return pg.run(pool -> pool.preparedQuery(INSERT).execute(Tuple.of(sessionId, appId, scope, authTime, amr)))
        .mapEmpty();
  }

  /** The session's grant, or null when it is not an OpenID Connect session of the app. */
  Future<Granted> bySession(UUID sessionId, UUID appId) {
    return pg.run(pool -> pool.preparedQuery(BY_SESSION).execute(Tuple.of(sessionId, appId))).map(OidcSessions::first);
  }

  /** The grant of the refresh token's session, or null when it is no OpenID Connect session of the app. */
  Future<Granted> byRefreshToken(String refreshToken, UUID appId) {
    Buffer hash = Buffer.buffer(Secrets.sha256(refreshToken));
    return pg.run(pool -> pool.preparedQuery(BY_REFRESH_TOKEN).execute(Tuple.of(hash, appId))).map(OidcSessions::first);
  }

  private static Granted first(RowSet<Row> rows) {
    var iterator = rows.iterator();
    if (!iterator.hasNext()) {
      return null;
    }
    Row row = iterator.next();
    return new Granted(row.getUUID("session_id"), row.getString("scope"), row.getOffsetDateTime("auth_time"),
        row.getString("amr"));
  }
}
