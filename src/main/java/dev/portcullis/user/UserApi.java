package dev.portcullis.user;

import dev.portcullis.app.App;
import dev.portcullis.app.AppAccess;
import dev.portcullis.http.QueryParams;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.messages.LicenseMessages.Detached;
import dev.portcullis.core.messages.TokenMessages.Revoke;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.otp.Identity;
import dev.portcullis.token.SessionEnds;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The users admin API ({@code /v1/apps/{app_id}/users}, {@code /v1/apps/{app_id}/sessions}): the operator
 * sees every app's users, an owner only its own apps' ({@code 404} otherwise, through {@link AppAccess}).
 */
public final class UserApi {

  /** The security webhook's event-bus address (the hardening capability's sender consumes it). */
  static final String SECURITY_EVENTS = SecurityEvents.ADDRESS;

  private static final Set<String> CREATABLE = Set.of("email", "phone", "password", "profile", "roles");
  private static final Set<String> EDITABLE = Set.of("profile", "roles", "disabled");
  /** An owner (a user of the console app) is only disabled or enabled by the operator: it has no roles nor profile. */
  private static final Set<String> EDITABLE_OWNER = Set.of("disabled");

  private final Vertx vertx;
  private final Bus bus;
  private final UserRepository users;
  private final RoleRepository roles;
  private final UserChanges changes;
  private final UserEvents events;
  private final UserMetrics metrics;
  private final PasswordHashing passwords;
  private final SessionEnds sessions;

  public UserApi(Vertx vertx, Bus bus, UserRepository users, RoleRepository roles, UserChanges changes,
                 UserEvents events, UserMetrics metrics, PasswordHashing passwords, SessionEnds sessions) {
    this.vertx = vertx;
    this.bus = bus;
    this.sessions = sessions;
    this.users = users;
    this.roles = roles;
    this.changes = changes;
    this.events = events;
    this.metrics = metrics;
    this.passwords = passwords;
  }

  public void list(RoutingContext ctx) {
    int limit = Page.limit(ctx);
    users.page(appId(ctx), QueryParams.of(ctx).get("q"), QueryParams.of(ctx).get("cursor"), limit)
        .onSuccess(page -> Responses.ok(ctx, page.toJson("users", User::toJson)))
        .onFailure(ctx::fail);
  }

  public void get(RoutingContext ctx) {
    UUID userId = userId(ctx);
    users.get(appId(ctx), userId)
        .compose(UserApi::found)
        .onSuccess(found -> Responses.ok(ctx, answer(found)))
        .onFailure(ctx::fail);
  }

  public void create(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Fields.onlyFields(body, CREATABLE);
    Identity identity = Identity.of(Fields.optionalString(body, "email"), Fields.optionalString(body, "phone"));
    JsonObject profile = Profiles.read(body.getValue("profile"), false);
    Roles.Refs given = body.getValue("roles") == null ? null : Roles.refs("roles", body.getValue("roles"));
    String password = Fields.optionalString(body, "password");
    App app = AppAccess.app(ctx).app();
    Future<String> hash = password == null ? Future.succeededFuture() : passwords.hash(app, password, identity);
    AuditStaging.Batch batch = events.batch();
    hash.compose(passwordHash -> users.create(app.id(), identity, profile, given, passwordHash, batch.events(created ->
            List.of(UserEvents.event(ctx, UserEvents.USER_CREATED, app.id(), created.id())
                .with(identity.kind().field(), identity.masked())
                .with("roles", new JsonArray(created.roles()))
                .with("has_password", created.hasPassword())))))
        .compose(batch::recorded)
        .onSuccess(created -> {
          metrics.created();
          Responses.json(ctx, 201, answer(created));
        })
        .onFailure(ctx::fail);
  }

  public void update(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Fields.onlyFields(body, App.CONSOLE_ID.equals(appId(ctx)) ? EDITABLE_OWNER : EDITABLE);
    Fields.notNull(body, "profile", "roles", "disabled");
    JsonObject profile = Profiles.read(body.getValue("profile"), true);
    Roles.Refs given = body.getValue("roles") == null ? null : Roles.refs("roles", body.getValue("roles"));
    Boolean disabled = body.getValue("disabled") == null ? null : Fields.optionalBoolean(body, "disabled", false);
    UUID appId = appId(ctx);
    UUID userId = userId(ctx);
    AuditStaging.Batch batch = events.batch();
    SessionEnds.Ending ending = ending(ctx, batch, appId);
    AuditStaging.Step<UserRepository.Updated> staged = batch.events(updated -> updateEvents(ctx, updated, profile));
    // A request that disables ends the sessions in its own transaction (also when the user was disabled already: a
    // retry ends whatever an older process's disable left), so a deadline rolls both back or commits both: up to
    // SessionEnds.EVENT_PER_SESSION_UP_TO of them, the rest in batches after the commit (the disabled user's
    // sessions are refused meanwhile). An enable first revokes whatever a disable left, so none comes back.
    Future<Void> leftovers = Boolean.FALSE.equals(disabled) ? ending.beforeEnabling(userId) : Future.succeededFuture();
    leftovers.compose(cleared -> users.update(appId, userId, profile, disabled, given,
            (conn, updated) -> staged.run(conn, updated)
                .compose(done -> Boolean.TRUE.equals(disabled)
                    ? ending.disabledUser(conn, userId) : Future.succeededFuture())))
        .compose(UserApi::found)
        .compose(updated -> afterUpdate(updated, ending).map(updated.user()))
        .onSuccess(user -> Responses.ok(ctx, answer(user)))
        .onFailure(ctx::fail);
  }

  /** The events of an update: staged with it, so they commit with it. */
  private static List<AuditEvent> updateEvents(RoutingContext ctx, UserRepository.Updated updated, JsonObject profile) {
    User user = updated.user();
    List<AuditEvent> recorded = new ArrayList<>();
    if (profile != null && !profile.isEmpty()) {
      recorded.add(UserEvents.event(ctx, UserEvents.USER_CHANGED, user.appId(), user.id())
          .with("fields", new JsonArray(profile.fieldNames().stream().sorted().map(field -> "profile." + field).toList())));
    }
    if (updated.roles() != null) {
      recorded.addAll(roleEvents(ctx, user.appId(), user.id(), updated.roles()));
    }
    if (user.disabled() != updated.wasDisabled()) {
      recorded.add(UserEvents.event(ctx, user.disabled() ? UserEvents.USER_DISABLED : UserEvents.USER_ENABLED,
          user.appId(), user.id()));
    }
    return recorded;
  }

  /**
   * After the update committed (with the revocation of a disabled user's sessions): reports a newly disabled user,
   * publishes the revocations, records the events and marks the user changed; then revokes the sessions the
   * disable's transaction left, if any (never failing: the disable is committed).
   */
  private Future<Void> afterUpdate(UserRepository.Updated updated, SessionEnds.Ending ending) {
    User user = updated.user();
    if (user.disabled() && !updated.wasDisabled()) {
      metrics.disabled();
      reportDisabled(user);
    }
    if (updated.roles() != null && updated.roles().changed()) {
      metrics.roleChanged();
    }
    return ending.committed().eventually(() -> changes.changed(user.id())).compose(done -> ending.remaining());
  }

  public void delete(RoutingContext ctx) {
    UUID appId = appId(ctx);
    UUID userId = userId(ctx);
    AuditStaging.Batch batch = events.batch();
    SessionEnds.Ending ending = ending(ctx, batch, appId);
    // Sessions are revoked in the deletion's transaction, published to every process after its commit; a user with
    // more than SessionEnds.EVENT_PER_SESSION_UP_TO sessions has them deleted in batches first, so that transaction
    // stays small.
    boolean[] detached = new boolean[1];
    ending.clearBeforeDeletion(userId)
        .compose(cleared -> users.delete(appId, userId, conn -> ending.user(conn, userId, SessionEnds.USER_DELETED),
            batch.events(deleted -> {
              detached[0] = !deleted.detachedLicenses().isEmpty();
              return deleteEvents(ctx, appId, deleted);
            })))
        .compose(deleted -> deleted
            ? ending.committed().eventually(() -> changes.changed(userId)) : Future.failedFuture(noSuchUser()))
        // Cached verify answers of its licences name the user (h75: for 5 s after the deletion).
        .compose(done -> detached[0]
            ? bus.request(Bus.LICENSES_DETACHED, new Detached(appId, RequestIds.of(ctx))).<Void>mapEmpty()
                .otherwiseEmpty()
            : Future.succeededFuture())
        .onSuccess(ignored -> {
          metrics.deleted();
          Responses.ok(ctx, new JsonObject().put("user_id", userId.toString()).put("deleted", true));
        })
        .onFailure(ctx::fail);
  }

  /**
   * The events of a deletion, staged with it: {@code user.deleted} with the number of licences it detached, and a
   * {@code license.detached} for each (one event per licence, as {@code session.revoked} per session: no bound on a
   * user's licences, none on the events' data), since such a licence now binds sessions of any user.
   */
  private static List<AuditEvent> deleteEvents(RoutingContext ctx, UUID appId, UserRepository.Deleted deleted) {
    List<AuditEvent> events = new ArrayList<>();
    events.add(UserEvents.event(ctx, UserEvents.USER_DELETED, appId, deleted.userId())
        .with("licenses_detached", deleted.detachedLicenses().size()));
    for (UUID license : deleted.detachedLicenses()) {
      events.add(UserEvents.event(ctx, UserEvents.LICENSE_DETACHED, appId, deleted.userId())
          .with("license_id", license.toString())
          .with("reason", "user_deleted"));
    }
    return events;
  }

  public void replaceRoles(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Fields.onlyFields(body, Set.of("roles"));
    if (body.getValue("roles") == null) {
      throw ApiException.invalid("roles", "is required");
    }
    Roles.Refs given = Roles.refs("roles", body.getValue("roles"));
    UUID appId = appId(ctx);
    UUID userId = userId(ctx);
    AuditStaging.Batch batch = events.batch();
    roles.replaceUserRoles(appId, userId, given, batch.events(change -> roleEvents(ctx, appId, userId, change)))
        .compose(UserApi::found)
        .compose(change -> !change.changed() ? Future.succeededFuture(change) : batch.recorded(change)
            .compose(ignored -> changes.changed(userId))
            .onSuccess(ignored -> metrics.roleChanged())
            .map(change))
        .onSuccess(change -> Responses.ok(ctx, new JsonObject()
            .put("user_id", userId.toString())
            .put("roles", new JsonArray(change.roles()))))
        .onFailure(ctx::fail);
  }

  public void sessions(RoutingContext ctx) {
    int limit = Page.limit(ctx);
    UUID appId = appId(ctx);
    UUID userId = userId(ctx);
    users.get(appId, userId)
        .compose(UserApi::found)
        .compose(user -> users.sessions(appId, userId, QueryParams.of(ctx).get("cursor"), limit))
        .onSuccess(page -> Responses.ok(ctx, page.toJson("sessions", LiveSession::toJson)))
        .onFailure(ctx::fail);
  }

  public void revokeSession(RoutingContext ctx) {
    UUID sessionId = AppDirectory.parseUuid(ctx.pathParam("session_id"));
    if (sessionId == null) {
      throw new ApiException(ErrorCode.NOT_FOUND, "session_id: no such live session");
    }
    bus.request(Bus.TOKEN_REVOKE, Revoke.session(appId(ctx), sessionId, "admin", AdminAuth.principal(ctx).toAudit(),
            RequestIds.of(ctx), Requests.callerIp(ctx)))
        .map(revoked -> revoked.revoked())
        .compose(revoked -> revoked > 0 ? Future.succeededFuture(revoked)
            : Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "session_id: no such live session")))
        .onSuccess(revoked -> Responses.ok(ctx, new JsonObject().put("revoked", revoked)))
        .onFailure(ctx::fail);
  }

  /** A change of this request that ends sessions of the app, their events naming who made it. */
  private SessionEnds.Ending ending(RoutingContext ctx, AuditStaging.Batch batch, UUID appId) {
    return sessions.begin(batch, appId, RequestIds.of(ctx), Requests.callerIp(ctx), AdminAuth.principal(ctx).toAudit());
  }

  /** The security webhook's {@code user.disabled}: fire and forget, never holding the request up. */
  private void reportDisabled(User user) {
    new SecurityEvents(vertx).publish(SecurityEvents.USER_DISABLED, user.appId(), user.id(), null, new JsonObject());
  }

  /**
   * One user's answer: the user object, and the same object under {@code user} (API.md writes the create
   * answer as {@code {user}}), so clients may read either.
   */
  static JsonObject answer(User user) {
    JsonObject json = user.toJson();
    return json.copy().put("user", json);
  }

  static List<AuditEvent> roleEvents(RoutingContext ctx, UUID appId, UUID userId, RoleRepository.Change change) {
    List<AuditEvent> out = new ArrayList<>();
    if (!change.granted().isEmpty()) {
      out.add(UserEvents.event(ctx, UserEvents.ROLE_GRANTED, appId, userId).with("roles", new JsonArray(change.granted())));
    }
    if (!change.revoked().isEmpty()) {
      out.add(UserEvents.event(ctx, UserEvents.ROLE_REVOKED, appId, userId).with("roles", new JsonArray(change.revoked())));
    }
    return out;
  }

  static UUID appId(RoutingContext ctx) {
    return AppAccess.app(ctx).app().id();
  }

  static UUID userId(RoutingContext ctx) {
    UUID id = AppDirectory.parseUuid(ctx.pathParam("user_id"));
    if (id == null) {
      throw noSuchUser();
    }
    return id;
  }

  static <T> Future<T> found(T value) {
    return value == null ? Future.failedFuture(noSuchUser()) : Future.succeededFuture(value);
  }

  static ApiException noSuchUser() {
    return new ApiException(ErrorCode.NOT_FOUND, "user_id: no such user");
  }
}
