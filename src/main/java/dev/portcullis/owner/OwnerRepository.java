package dev.portcullis.owner;

import dev.portcullis.app.App;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.Postgres;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.UUID;

/** SQL for owners: the users of the console app. */
public final class OwnerRepository {

  private static final String COLUMNS = "id, email, phone, created_at";
  private static final String BY_EMAIL = "SELECT " + COLUMNS + " FROM users WHERE app_id = $1 AND email = $2";
  private static final String BY_PHONE = "SELECT " + COLUMNS + " FROM users WHERE app_id = $1 AND phone = $2";
  private static final String INSERT_EMAIL =
      "INSERT INTO users (id, app_id, email) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING " + COLUMNS;
  private static final String INSERT_PHONE =
      "INSERT INTO users (id, app_id, phone) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING " + COLUMNS;

  /** An owner as the admin API shows it. */
  record Owner(UUID id, String email, String phone, String createdAt) {

    static Owner of(Row row) {
      return new Owner(row.getUUID("id"), row.getString("email"), row.getString("phone"),
          App.rfc3339(row.getOffsetDateTime("created_at")));
    }

    JsonObject toJson() {
      return new JsonObject().put("id", id.toString()).put("email", email).put("phone", phone).put("created_at", createdAt);
    }
  }

  private final Postgres pg;

  public OwnerRepository(Postgres pg) {
    this.pg = pg;
  }

  Future<Optional<Owner>> find(Identity identity) {
    String sql = identity.kind() == Identity.Kind.EMAIL ? BY_EMAIL : BY_PHONE;
    return pg.run(pool -> pool.preparedQuery(sql).execute(Tuple.of(App.CONSOLE_ID, identity.value())))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(Owner.of(rows.iterator().next())));
  }

  /**
   * Creates the owner, with {@code audit} run on it in the same transaction; empty when one with this identity exists
   * already.
   */
  Future<Optional<Owner>> create(Identity identity, AuditStaging.Step<Owner> audit) {
    String sql = identity.kind() == Identity.Kind.EMAIL ? INSERT_EMAIL : INSERT_PHONE;
    Tuple values = Tuple.of(UUID.randomUUID(), App.CONSOLE_ID, identity.value());
    return pg.inTransaction(conn -> conn.preparedQuery(sql).execute(values)
            .map(rows -> rows.size() == 0 ? null : Owner.of(rows.iterator().next()))
            .compose(owner -> audit.after(conn, owner)))
        .map(Optional::ofNullable);
  }
}
