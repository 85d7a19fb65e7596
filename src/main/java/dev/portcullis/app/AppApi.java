package dev.portcullis.app;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Failures;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.RedisStore;
import dev.portcullis.core.FixedWindow;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.Secrets;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.QueryParams;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.token.SigningKeyMaterial;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditOutbox;
import dev.portcullis.core.MasterKey;
import dev.portcullis.user.DefaultRoles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** The admin API for apps ({@code /v1/apps}): the operator sees every client app, an owner its own. */
public final class AppApi {

  /** Apps one owner may create an hour, at least: twice its app limit, so a setup and a redo are never refused. */
  static final int CREATIONS_PER_HOUR = 40;

  private static final Pattern SLUG = Pattern.compile("[a-z0-9-]{3,40}");
  private static final int NAME_MAX = 100;
  /**
   * Room for an app.changed event's values: its data holds 8 KiB, the actor and the field names included; twenty
   * callback URLs' origins of the longest host DNS allows take 5.5 KB.
   */
  private static final int CHANGES_BUDGET_BYTES = 7_680;
  private static final Set<String> EDITABLE = Set.of("name", "callback_urls", "settings");
  private static final Set<String> CREATABLE = Set.of("name", "slug", "callback_urls", "settings");
  private static final int DEFAULT_PAGE = 100;
  private static final int MAX_PAGE = 500;

  private final Vertx vertx;
  private final AppRepository apps;
  private final DefaultRoles defaultRoles;
  private final MasterKey masterKey;
  private final AuditLog audit;
  private final String issuer;
  private final MeterRegistry metrics;
  private final int maxAppsPerOwner;
  private final Counter created;
  private final Counter deleted;
  private final RedisStore redis;
  private final FixedWindow creations;
  private final Counter secretRotations;
  private final Counter keyRotations;

  public AppApi(Vertx vertx, AppRepository apps, MasterKey masterKey, AuditLog audit, String issuer,
                MeterRegistry metrics, DefaultRoles defaultRoles, int maxAppsPerOwner, RedisStore redis) {
    this.vertx = vertx;
    this.redis = redis;
    this.defaultRoles = defaultRoles;
    this.apps = apps;
    this.masterKey = masterKey;
    this.audit = audit;
    this.issuer = issuer;
    this.metrics = metrics;
    this.maxAppsPerOwner = maxAppsPerOwner;
    // An owner's creations an hour, counted before the RSA key is made: deleting and creating again must not
    // turn the per-owner app limit into a key-generation loop on the gateway's cores.
    this.creations = new FixedWindow(redis, creationsPerHour(), 3_600_000);
    this.created = counter("portcullis.app.creations", "Apps created");
    this.deleted = counter("portcullis.app.deletions", "Apps deleted");
    this.secretRotations = counter("portcullis.app.secret.rotations", "App secrets rotated");
    this.keyRotations = counter("portcullis.app.signing.key.rotations", "App signing keys rotated");
  }

  private int creationsPerHour() {
    return Math.max(CREATIONS_PER_HOUR, 2 * maxAppsPerOwner);
  }

  public void create(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Fields.onlyFields(body, CREATABLE);
    String name = name(Fields.requiredString(body, "name"));
    String slug = Fields.requiredString(body, "slug");
    if (!SLUG.matcher(slug).matches()) {
      throw ApiException.invalid("slug", "must match [a-z0-9-]{3,40}");
    }
    List<String> callbackUrls = CallbackUrls.validate(Fields.optionalStringList(body, "callback_urls"));
    AppSettings requested = AppSettings.merge(AppSettings.defaults(), Fields.optionalObject(body, "settings"));
    String secret = newSecret();
    AdminAuth.Principal principal = AdminAuth.principal(ctx);
    AuditOutbox.Staged[] staged = new AuditOutbox.Staged[1];
    // What is refused anyway (unknown default roles, the owner's app limit, a taken slug) is refused before it
    // counts against the hour.
    defaultRoles.resolve(null, requested.toJson())
        .map(resolved -> AppSettings.merge(AppSettings.defaults(), resolved))
        .compose(settings -> apps.creationRefusal(principal.ownerId(), slug, maxAppsPerOwner)
            .compose(allowed -> principal.ownerId() == null ? Future.succeededFuture(0L)
                : creations.count(redis.key("app-creations", "{" + principal.ownerId() + "}")))
            .compose(seconds -> seconds == 0 ? Future.succeededFuture(settings) : Future.failedFuture(
                ApiException.rateLimited(ErrorCode.RATE_LIMITED, "apps: at most " + creationsPerHour()
                    + " made an hour per owner; retry in " + seconds + " s", seconds))))
        .compose(settings -> vertx.executeBlocking(() -> SigningKeyMaterial.generate(masterKey), false)
            .compose(key -> apps
                .create(principal.ownerId(), name, slug, masterKey.appSecretHash(secret), callbackUrls, settings, key,
                    maxAppsPerOwner, id -> staged[0] = staged(ctx, AuditEvent.APP_CREATED, id,
                        new JsonObject().put("slug", slug)))
                .map(app -> new AppWithKey(app, key.kid(), key.publicPem()))))
        .recover(failure -> Postgres.isUniqueViolation(failure)
            ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "slug: '" + slug + "' is taken"))
            : Future.failedFuture(failure))
        .compose(app -> apps.recordStaged(audit, staged[0]).map(app))
        .onSuccess(app -> {
          // Other processes may hold this id as unknown (client auth, JWKS): they drop that at once.
          AppDirectory.announce(vertx, app.app().id(), "created");
          created.increment();
          Responses.json(ctx, 201, app.toJson(issuer).put("app_secret", secret));
        })
        .onFailure(ctx::fail);
  }

  public void list(RoutingContext ctx) {
    int limit = limit(ctx);
    String cursor = QueryParams.of(ctx).get("cursor");
    apps.list(AdminAuth.principal(ctx).ownerId(), cursor, limit)
        .onSuccess(page -> {
          JsonArray apps = new JsonArray();
          page.apps().forEach(app -> apps.add(app.toJson(issuer)));
          Responses.ok(ctx, new JsonObject().put("apps", apps).put("next_cursor", page.nextCursor()));
        })
        .onFailure(ctx::fail);
  }

  public void get(RoutingContext ctx) {
    Responses.ok(ctx, AppAccess.app(ctx).toJson(issuer));
  }

  public void update(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    for (String field : body.fieldNames()) {
      if (!EDITABLE.contains(field)) {
        throw ApiException.invalid(field, "cannot be changed (name, callback_urls and settings can)");
      }
    }
    Fields.notNull(body, "name", "callback_urls", "settings");
    if (AppAccess.app(ctx).app().isConsole() && !body.fieldNames().stream().allMatch("settings"::equals)) {
      throw ApiException.invalid(body.fieldNames().stream().filter(field -> !field.equals("settings")).findFirst()
          .orElseThrow(), "cannot be changed on the console app (its settings can)");
    }
    String rawName = Fields.optionalString(body, "name");
    String name = rawName == null ? null : name(rawName);
    List<String> urls = Fields.optionalStringList(body, "callback_urls");
    List<String> callbackUrls = urls == null ? null : CallbackUrls.validate(urls);
    JsonObject settings = Fields.optionalObject(body, "settings");
    // Validated here, before any database work; merged over the stored settings under the row lock.
    AppSettings.merge(AppSettings.defaults(), settings);
    AppWithKey current = AppAccess.app(ctx);
    AuditOutbox.Staged[] staged = new AuditOutbox.Staged[1];
    defaultRoles.resolve(current.app().id(), settings)
        .compose(resolved -> apps.update(current.app().id(), name, callbackUrls, resolved, change -> {
          List<String> fields = change.after().changesFrom(change.before());
          JsonObject data = new JsonObject().put("fields", new JsonArray(fields));
          // What codes are sent to, and what a limit was lowered from, belong in the log: the values, within the
          // room an event's data has (8 KiB).
          data.put("changes", change.after().differencesFrom(change.before(),
              CHANGES_BUDGET_BYTES - data.encode().getBytes(StandardCharsets.UTF_8).length));
          staged[0] = fields.isEmpty() ? null : staged(ctx, AuditEvent.APP_CHANGED, change.after().id(), data);
          return staged[0];
        }))
        .compose(change -> change == null ? Future.failedFuture(AppAccess.notFound()) : Future.succeededFuture(change))
        .compose(change -> {
          if (staged[0] == null) {
            return Future.succeededFuture(change.after());
          }
          AppDirectory.announce(vertx, change.after().id(), "settings");
          return apps.recordStaged(audit, staged[0]).map(change.after());
        })
        .onSuccess(app -> Responses.ok(ctx, new AppWithKey(app, current.kid(), current.publicPem()).toJson(issuer)))
        .onFailure(ctx::fail);
  }

  public void delete(RoutingContext ctx) {
    UUID id = AppAccess.app(ctx).app().id();
    AuditOutbox.Staged staged = staged(ctx, AuditEvent.APP_DELETED, id,
        new JsonObject().put("slug", AppAccess.app(ctx).app().slug()));
    apps.delete(id, staged)
        .compose(found -> found ? Future.succeededFuture() : Future.failedFuture(AppAccess.notFound()))
        .onSuccess(ignored -> AppDirectory.announce(vertx, id, "deleted"))
        .compose(ignored -> apps.recordStaged(audit, staged))
        .onSuccess(ignored -> {
          deleted.increment();
          Responses.ok(ctx, new JsonObject().put("app_id", id.toString()).put("deleted", true));
        })
        .onFailure(ctx::fail);
  }

  public void rotateSecret(RoutingContext ctx) {
    UUID id = AppAccess.app(ctx).app().id();
    String secret = newSecret();
    AuditOutbox.Staged staged = staged(ctx, AuditEvent.APP_SECRET_ROTATED, id, new JsonObject());
    apps.replaceSecret(id, masterKey.appSecretHash(secret), staged)
        .compose(found -> found ? Future.succeededFuture() : Future.failedFuture(AppAccess.notFound()))
        .onSuccess(ignored -> AppDirectory.announce(vertx, id, "secret"))
        .compose(ignored -> apps.recordStaged(audit, staged))
        .onSuccess(ignored -> {
          secretRotations.increment();
          Responses.ok(ctx, new JsonObject().put("app_secret", secret));
        })
        .onFailure(ctx::fail);
  }

  public void rotateSigningKey(RoutingContext ctx) {
    UUID id = AppAccess.app(ctx).app().id();
    // Limits first: a refused rotation must not cost an RSA key generation.
    apps.rotationAllowed(id)
        .compose(allowed -> vertx.executeBlocking(() -> SigningKeyMaterial.generate(masterKey), false))
        .compose(key -> {
          AuditOutbox.Staged staged = staged(ctx, AuditEvent.APP_KEY_ROTATED, id, new JsonObject().put("kid", key.kid()));
          return apps.rotateSigningKey(id, key, staged)
              .compose(found -> found ? Future.succeededFuture() : Future.failedFuture(AppAccess.notFound()))
              .onSuccess(ignored -> AppDirectory.announce(vertx, id, "key"))
              .compose(ignored -> apps.recordStaged(audit, staged))
              .map(key);
        })
        .onSuccess(key -> {
          keyRotations.increment();
          Responses.ok(ctx, new JsonObject().put("kid", key.kid()).put("jwt_public_key", key.publicPem()));
        })
        .onFailure(failure -> refusedRotation(ctx, id, failure));
  }

  /** A rotation over the hourly limit is a rate-limited auth event like any other: recorded, then answered. */
  private void refusedRotation(RoutingContext ctx, UUID appId, Throwable failure) {
    if (Failures.toApi(failure).code() != ErrorCode.RATE_LIMITED) {
      ctx.fail(failure);
      return;
    }
    JsonObject data = AdminAuth.principal(ctx).toAudit().put("reason", "key_rotations").put("action", "rotate_signing_key");
    audit.record(new AuditEvent(AuditEvent.RATE_LIMITED, appId, null, RequestIds.of(ctx), Requests.callerIp(ctx), data))
        .onComplete(recorded -> ctx.fail(failure));
  }

  /** Records an admin event with who did it; completes once it is stored. */
  /**
   * An admin event with who did it. It is staged in the transaction of the change it records (AuditOutbox), so
   * the change and its event commit together or not at all: a failed rotation leaves the old secret working.
   */
  private static AuditOutbox.Staged staged(RoutingContext ctx, String type, UUID appId, JsonObject data) {
    JsonObject all = AdminAuth.principal(ctx).toAudit().mergeIn(data);
    return AuditOutbox.Staged.of(new AuditEvent(type, appId, null, RequestIds.of(ctx), Requests.callerIp(ctx), all));
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).register(metrics);
  }

  /** At least 256 random bits; the prefix lets secret scanners recognise a leaked one. */
  private static String newSecret() {
    return "pcs_" + Secrets.randomToken(32);
  }

  private static String name(String raw) {
    // The name is shown on the hosted pages and in every code's message.
    return DisplayText.name(raw, NAME_MAX);
  }

  private static int limit(RoutingContext ctx) {
    return Fields.pageLimit(QueryParams.of(ctx).get("limit"), DEFAULT_PAGE, MAX_PAGE);
  }
}
