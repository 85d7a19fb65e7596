package dev.portcullis.user;

import dev.portcullis.app.AppSettings;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** SQL for the role catalogue and app-wide grants, kept in one place. */
public final class RoleRepository {

  /** A replaced set of app-wide roles: the roles now held, and what the change granted and revoked. */
  public record Change(List<String> roles, List<String> granted, List<String> revoked) {

    public boolean changed() {
      return !granted.isEmpty() || !revoked.isEmpty();
    }

    /** The change from one set of role names to another. */
    public static Change between(List<String> before, List<String> after) {
      return new Change(after, after.stream().filter(role -> !before.contains(role)).toList(),
          before.stream().filter(role -> !after.contains(role)).toList());
    }
  }

  /** A deleted custom role and the users who held it (app-wide or in a tenant). */
  public record Deleted(Role role, List<UUID> holders) {
  }

  private static final String LIST = "SELECT " + Role.COLUMNS + " FROM roles WHERE app_id = $1 AND id > $2 "
      + "ORDER BY id LIMIT $3";
  private static final String LOCK_CATALOGUE = "SELECT 1 FROM pg_advisory_xact_lock(hashtextextended('roles:' || $1::uuid::text, 0))";
  /** The app's next custom role id: one past the last it handed out (V101), so a deleted role's id is never reused. */
  private static final String INSERT = "WITH next AS (UPDATE apps SET last_role_id = GREATEST(last_role_id, "
      + (Roles.FIRST_CUSTOM_ID - 1) + ") + 1 WHERE id = $1 RETURNING last_role_id) "
      + "INSERT INTO roles (app_id, id, name, description) SELECT $1, last_role_id, $2, $3 FROM next "
      + "RETURNING " + Role.COLUMNS;
  /** The role, and whether the app's default_roles names it (stored by name; by id in older settings). */
  private static final String FIND_FOR_DELETE = "SELECT " + Role.COLUMNS + ", coalesce((SELECT a.settings -> '"
      + AppSettings.DEFAULT_ROLES + "' FROM apps a WHERE a.id = $1), '[\"USER\"]'::jsonb) "
      + "@> ANY(ARRAY[to_jsonb(name), to_jsonb(id::text)]) AS is_default FROM roles "
      + "WHERE app_id = $1 AND (name = ANY($2) OR id = ANY($3)) FOR UPDATE";
  /** NO KEY: it serialises with a settings change (FOR UPDATE) but lets the app's users and sessions be inserted. */
  private static final String LOCK_APP = "SELECT 1 FROM apps WHERE id = $1 FOR NO KEY UPDATE";
  private static final String DROP_GRANTS = "DELETE FROM user_roles WHERE app_id = $1 AND role_id = $2 RETURNING user_id";
  private static final String DROP_MEMBER_GRANTS = "UPDATE tenant_members SET roles = array_remove(roles, $2) "
      + "WHERE app_id = $1 AND roles @> ARRAY[$2::int] RETURNING user_id";
  private static final String DELETE = "DELETE FROM roles WHERE app_id = $1 AND id = $2";

  /**
   * The roles a request names ({@code $3} names, {@code $4} ids) resolved against the catalogue of app
   * {@code $1}, and whether every one of them exists: the head of every statement that grants roles. The roles are
   * held (FOR SHARE) until the grant commits: a tenant member's roles are ids in an array, which no foreign key
   * guards, so a grant racing the role's deletion kept the deleted id (the deletion's sweep of the members could not
   * see the grant's uncommitted row); now one waits for the other, and a grant after the deletion finds no role.
   */
  public static final String WANTED = "wanted AS (SELECT id, name FROM roles WHERE app_id = $1 AND (name = ANY($3::text[]) "
      + "OR id = ANY($4::int[])) FOR SHARE), "
      + "ok AS (SELECT NOT EXISTS (SELECT 1 FROM unnest($3::text[]) n WHERE n NOT IN (SELECT name FROM wanted)) "
      + "AND NOT EXISTS (SELECT 1 FROM unnest($4::int[]) i WHERE i NOT IN (SELECT id FROM wanted)) AS ok)";

  /** $2 is unused: it keeps the names and ids at $3 and $4, where {@link #WANTED} reads them. */
  private static final String RESOLVE = "WITH " + WANTED + " SELECT $2::uuid IS NULL AS unused, (SELECT ok FROM ok) AS ok, "
      + "ARRAY(SELECT name FROM wanted ORDER BY id) AS roles";

  /**
   * Taken before a statement that replaces a user's roles (app-wide or in a tenant), in its transaction: two
   * replacements of one user's roles run one after the other, the second seeing the first's rows, so the roles end
   * as one of the requested sets and never their union. {@code NO KEY UPDATE} leaves the user's sessions free to
   * be created meanwhile.
   */
  public static final String LOCK_USER = "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE";

  /** Replaces the app-wide roles of user $2 in one statement; nothing changes unless the user and every role exist. */
  private static final String REPLACE_USER_ROLES = "WITH " + WANTED + ", "
      + "target AS (SELECT id FROM users WHERE id = $2 AND app_id = $1), "
      + "go AS (SELECT 1 FROM target, ok WHERE ok.ok), "
      + "del AS (DELETE FROM user_roles WHERE user_id = $2 AND EXISTS (SELECT 1 FROM go) "
      + "AND role_id NOT IN (SELECT id FROM wanted) RETURNING role_id), "
      + "ins AS (INSERT INTO user_roles (user_id, app_id, role_id) SELECT $2, $1, id FROM wanted "
      + "WHERE EXISTS (SELECT 1 FROM go) ON CONFLICT DO NOTHING RETURNING role_id) "
      + "SELECT EXISTS (SELECT 1 FROM target) AS found, (SELECT ok FROM ok) AS ok, "
      + "ARRAY(SELECT name FROM wanted ORDER BY id) AS roles, "
      + "ARRAY(SELECT r.name FROM roles r JOIN ins ON r.id = ins.role_id WHERE r.app_id = $1 ORDER BY r.id) AS granted, "
      + "ARRAY(SELECT r.name FROM roles r JOIN del ON r.id = del.role_id WHERE r.app_id = $1 ORDER BY r.id) AS revoked";

  private final Postgres pg;

  public RoleRepository(Postgres pg) {
    this.pg = pg;
  }

  /** The catalogue in id order (built-ins first), keyset-paged on the id. */
  public Future<Page<Role>> list(UUID appId, String cursor, int limit) {
    int after = afterId(cursor);
    return pg.run(pool -> pool.preparedQuery(LIST).execute(Tuple.of(appId, after, limit + 1)))
        .map(rows -> Page.of(rows, limit, Role::fromRow, role -> Integer.toString(role.id())));
  }

  /**
   * A custom role with the next free id (from 100), {@code audit} run on it in the same transaction;
   * {@code 409 conflict} when the name is taken.
   */
  public Future<Role> create(UUID appId, String name, String description, AuditStaging.Step<Role> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK_CATALOGUE).execute(Tuple.of(appId))
            .compose(locked -> conn.preparedQuery(INSERT).execute(Tuple.of(appId, name, description)))
            .compose(rows -> audit.after(conn, Role.fromRow(rows.iterator().next()))))
        .recover(failure -> Postgres.isUniqueViolation(failure)
            ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "name: the role '" + name + "' exists"))
            : Future.failedFuture(failure));
  }

  /**
   * Deletes a custom role with every grant of it, app-wide and in tenants, in one transaction. Null when the
   * app has no such role; {@code 400} for a built-in; {@code 409} while the app's default_roles names it (new
   * users would otherwise be given whichever role takes the name later). {@code audit} runs on what was deleted
   * in the same transaction.
   */
  public Future<Deleted> delete(UUID appId, Roles.Refs ref, AuditStaging.Step<Deleted> audit) {
    Tuple find = Tuple.of(appId, ref.names().toArray(new String[0]), ref.ids().toArray(new Integer[0]));
    // The app's row first, as a settings change holds it: the default_roles read next is the committed one.
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK_APP).execute(Tuple.of(appId))
        .compose(locked -> conn.preparedQuery(FIND_FOR_DELETE).execute(find)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(null);
      }
      Role role = Role.fromRow(rows.iterator().next());
      if (role.builtin()) {
        return Future.failedFuture(ApiException.invalid("role", role.name() + " is built in and cannot be deleted"));
      }
      if (rows.iterator().next().getBoolean("is_default")) {
        return Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "role: " + role.name()
            + " is in the app's settings.default_roles; take it out of that setting first"));
      }
      Tuple key = Tuple.of(appId, role.id());
      Set<UUID> holders = new LinkedHashSet<>();
      return conn.preparedQuery(DROP_GRANTS).execute(key)
          .compose(grants -> {
            grants.forEach(row -> holders.add(row.getUUID("user_id")));
            return conn.preparedQuery(DROP_MEMBER_GRANTS).execute(key);
          })
          .compose(members -> {
            members.forEach(row -> holders.add(row.getUUID("user_id")));
            return conn.preparedQuery(DELETE).execute(key);
          })
          .compose(deleted -> audit.after(conn, new Deleted(role, List.copyOf(holders))));
    }));
  }

  /**
   * Replaces the app-wide roles of a user in one statement. Null when the app has no such user; {@code 400}
   * naming the first unknown role when a role does not exist (then nothing changes). {@code audit} runs on a
   * change that granted or revoked a role, in the same transaction.
   */
  public Future<Change> replaceUserRoles(UUID appId, UUID userId, Roles.Refs refs, AuditStaging.Step<Change> audit) {
    return pg.inTransaction(conn -> conn.preparedQuery(LOCK_USER).execute(Tuple.of(userId))
        .compose(locked -> conn.preparedQuery(REPLACE_USER_ROLES).execute(withRefs(Tuple.of(appId, userId), refs)))
        .compose(rows -> {
          Row row = rows.iterator().next();
          if (!row.getBoolean("found")) {
            return Future.succeededFuture();
          }
          List<String> roles = List.of(row.getArrayOfStrings("roles"));
          if (!row.getBoolean("ok")) {
            return Future.failedFuture(unknownRole("roles", refs, roles));
          }
          Change change = new Change(roles, List.of(row.getArrayOfStrings("granted")),
              List.of(row.getArrayOfStrings("revoked")));
          return change.changed() ? audit.after(conn, change) : Future.succeededFuture(change);
        }));
  }

  /** The names of the roles {@code refs} gives, in id order; {@code 400} naming {@code field} for an unknown one. */
  public Future<List<String>> resolve(String field, UUID appId, Roles.Refs refs) {
    return pg.run(pool -> pool.preparedQuery(RESOLVE).execute(withRefs(Tuple.tuple().addUUID(appId).addUUID(null), refs)))
        .map(rows -> {
          Row row = rows.iterator().next();
          List<String> names = List.of(row.getArrayOfStrings("roles"));
          if (!row.getBoolean("ok")) {
            throw unknownRole(field, refs, names);
          }
          return names;
        });
  }

  /** Adds the names ($3) and ids ($4) of {@code refs} to parameters $1 and $2. */
  public static Tuple withRefs(Tuple head, Roles.Refs refs) {
    return head.addArrayOfString(refs.names().toArray(new String[0]))
        .addArrayOfInteger(refs.ids().toArray(new Integer[0]));
  }

  /** The first role of {@code refs} that is not among the resolved names. */
  public static ApiException unknownRole(String field, Roles.Refs refs, List<String> resolvedNames) {
    for (String name : refs.names()) {
      if (!resolvedNames.contains(name)) {
        return ApiException.invalid(field, "no role '" + name + "' in this app");
      }
    }
    List<String> ids = new ArrayList<>();
    refs.ids().forEach(id -> ids.add(Integer.toString(id)));
    return ApiException.invalid(field, "no role with one of the ids " + ids + " in this app");
  }

  private static int afterId(String cursor) {
    if (cursor == null || cursor.isEmpty()) {
      return 0;
    }
    try {
      return Integer.parseInt(cursor);
    } catch (NumberFormatException e) {
      throw ApiException.invalid("cursor", "is not a cursor this API returned");
    }
  }
}
