package dev.portcullis.tenant;

import dev.portcullis.app.AppCursor;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import dev.portcullis.user.Page;
import dev.portcullis.user.RoleRepository;
import dev.portcullis.user.Roles;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** SQL for tenants and their members, kept in one place. */
public final class TenantRepository {

  /** A membership as PUT left it: whether it is new, and its roles before (empty when new) and after. */
  public record Put(Member member, boolean added, List<String> rolesBefore) {

    public boolean changed() {
      return added || !rolesBefore.equals(member.roles());
    }
  }

  private static final String INSERT = "INSERT INTO tenants (id, app_id, name, slug) VALUES ($1, $2, $3, $4) "
      + "RETURNING " + Tenant.COLUMNS;
  private static final String GET = "SELECT " + Tenant.COLUMNS + " FROM tenants WHERE id = $1 AND app_id = $2";
  /** Newest first, keyset-paged on (created_at, id); served by tenants_app_page. */
  private static final String PAGE = "SELECT " + Tenant.COLUMNS + " FROM tenants WHERE app_id = $1 "
      + "AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4";
  private static final String UPDATE = "UPDATE tenants SET name = coalesce($3, name), slug = coalesce($4, slug), "
      + "updated_at = now() WHERE id = $1 AND app_id = $2 RETURNING " + Tenant.COLUMNS;
  private static final String DELETE = "DELETE FROM tenants WHERE id = $1 AND app_id = $2";
  /** Newest members first, keyset-paged on (added_at, user_id); served by tenant_members_page. */
  private static final String MEMBERS = "SELECT " + Member.COLUMNS + " FROM tenant_members m WHERE m.tenant_id = $1 "
      + "AND (m.added_at, m.user_id) < ($2, $3) ORDER BY m.added_at DESC, m.user_id DESC LIMIT $4";
  /**
   * Adds user $2 to tenant $5 with the roles named by $3/$4, or replaces the roles of a member: one statement,
   * which changes nothing unless the user is the app's and every role exists.
   */
  private static final String PUT_MEMBER = "WITH " + roleHead() + ", "
      + "target AS (SELECT id FROM users WHERE id = $2 AND app_id = $1), "
      + "prev AS (SELECT ARRAY(SELECT r.name FROM roles r WHERE r.app_id = $1 AND r.id = ANY(m.roles) ORDER BY r.id) "
      + "AS names FROM tenant_members m WHERE m.tenant_id = $5 AND m.user_id = $2), "
      + "up AS (INSERT INTO tenant_members (tenant_id, user_id, app_id, roles) "
      + "SELECT $5, $2, $1, ARRAY(SELECT id FROM wanted ORDER BY id) FROM target, ok WHERE ok.ok "
      + "ON CONFLICT (tenant_id, user_id) DO UPDATE SET roles = EXCLUDED.roles "
      + "RETURNING added_at, xmax = 0 AS inserted) "
      + "SELECT EXISTS (SELECT 1 FROM target) AS found, (SELECT ok FROM ok) AS ok, "
      + "ARRAY(SELECT name FROM wanted ORDER BY id) AS role_names, (SELECT added_at FROM up) AS added_at, "
      + "(SELECT inserted FROM up) AS inserted, (SELECT names FROM prev) AS before";
  private static final String REMOVE_MEMBER = "DELETE FROM tenant_members WHERE tenant_id = $1 AND user_id = $2";

  private final Postgres pg;

  public TenantRepository(Postgres pg) {
    this.pg = pg;
  }

  /** The new tenant, {@code audit} run on it in the same transaction. */
  public Future<Tenant> create(UUID appId, String name, String slug, AuditStaging.Step<Tenant> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(INSERT).execute(Tuple.of(UUID.randomUUID(), appId, name, slug))
            .compose(rows -> audit.after(conn, first(rows))))
        .recover(failure -> slugTaken(failure, slug));
  }

  /** The tenant, or null when the app has none with that id. */
  public Future<Tenant> get(UUID appId, UUID tenantId) {
    return pg.run(pool -> pool.preparedQuery(GET).execute(Tuple.of(tenantId, appId))).map(TenantRepository::first);
  }

  public Future<Page<Tenant>> page(UUID appId, String cursor, int limit) {
    AppCursor after = AppCursor.parse(cursor);
    return pg.run(pool -> pool.preparedQuery(PAGE).execute(Tuple.of(appId, after.createdAt(), after.id(), limit + 1)))
        .map(rows -> Page.of(rows, limit, Tenant::fromRow, tenant -> new AppCursor(tenant.createdAt(), tenant.id()).encode()));
  }

  /**
   * Changes name and slug (each when not null), {@code audit} run on the tenant as it is now in the same
   * transaction; null when the app has no such tenant.
   */
  public Future<Tenant> update(UUID appId, UUID tenantId, String name, String slug, AuditStaging.Step<Tenant> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(UPDATE).execute(Tuple.of(tenantId, appId, name, slug))
            .compose(rows -> audit.after(conn, first(rows))))
        .recover(failure -> slugTaken(failure, slug));
  }

  /** Deletes the tenant and its memberships, {@code then} run in the same transaction; false when there was none. */
  public Future<Boolean> delete(UUID appId, UUID tenantId, AuditStaging.Step<UUID> then) {
    return pg.inTransaction(conn -> conn.preparedQuery(DELETE).execute(Tuple.of(tenantId, appId))
        .compose(rows -> then.after(conn, rows.rowCount() > 0 ? tenantId : null))
        .map(deleted -> deleted != null));
  }

  public Future<Page<Member>> members(UUID tenantId, String cursor, int limit) {
    AppCursor after = AppCursor.parse(cursor);
    return pg.run(pool -> pool.preparedQuery(MEMBERS).execute(Tuple.of(tenantId, after.createdAt(), after.id(), limit + 1)))
        .map(rows -> Page.of(rows, limit, Member::fromRow, member -> new AppCursor(member.addedAt(), member.userId()).encode()));
  }

  /**
   * Adds or updates a membership (the tenant is the app's), {@code audit} run on it in the same transaction when
   * it changed anything; null when the app has no such user.
   */
  public Future<Put> putMember(UUID appId, UUID tenantId, UUID userId, Roles.Refs roles, AuditStaging.Step<Put> audit) {
    Tuple params = RoleRepository.withRefs(Tuple.of(appId, userId), roles).addUUID(tenantId);
    return pg.inTransaction(conn -> conn.preparedQuery(RoleRepository.LOCK_USER).execute(Tuple.of(userId))
        .compose(locked -> conn.preparedQuery(PUT_MEMBER).execute(params)).compose(rows -> {
          Row row = rows.iterator().next();
          if (!row.getBoolean("found")) {
            return Future.succeededFuture();
          }
          List<String> names = List.of(row.getArrayOfStrings("role_names"));
          if (!row.getBoolean("ok")) {
            return Future.failedFuture(RoleRepository.unknownRole("roles", roles, names));
          }
          // Added is what the insert did, not what the statement's snapshot showed: a removal committing while the
          // insert waited on its row leaves a row the snapshot still saw, and the re-added member went unaudited.
          boolean added = Boolean.TRUE.equals(row.getBoolean("inserted"));
          String[] before = row.getArrayOfStrings("before");
          OffsetDateTime addedAt = row.getOffsetDateTime("added_at");
          Put put = new Put(new Member(userId, names, addedAt), added,
              added || before == null ? List.of() : List.of(before));
          return put.changed() ? audit.after(conn, put) : Future.succeededFuture(put);
        }));
  }

  /**
   * Removes a membership, {@code then} run in the same transaction; false when the user was not a member. The user's
   * row is locked first, as a put does, so the two run one after the other and are audited in that order.
   */
  public Future<Boolean> removeMember(UUID tenantId, UUID userId, AuditStaging.Step<UUID> then) {
    return pg.inTransaction(conn -> conn.preparedQuery(RoleRepository.LOCK_USER).execute(Tuple.of(userId))
        .compose(locked -> conn.preparedQuery(REMOVE_MEMBER).execute(Tuple.of(tenantId, userId)))
        .compose(rows -> then.after(conn, rows.rowCount() > 0 ? userId : null))
        .map(removed -> removed != null));
  }

  private static String roleHead() {
    return RoleRepository.WANTED;
  }

  private static <T> Future<T> slugTaken(Throwable failure, String slug) {
    return Postgres.isUniqueViolation(failure)
        ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "slug: '" + slug + "' is taken in this app"))
        : Future.failedFuture(failure);
  }

  private static Tenant first(RowSet<Row> rows) {
    var iterator = rows.iterator();
    return iterator.hasNext() ? Tenant.fromRow(iterator.next()) : null;
  }
}
