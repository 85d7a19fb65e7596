package dev.portcullis.tenant;

import dev.portcullis.app.AppAccess;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.messages.TokenMessages.Revoke;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.user.Page;
import dev.portcullis.user.Roles;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserEvents;
import dev.portcullis.user.UserMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Tenants and their members ({@code /v1/apps/{app_id}/tenants}). Removing a member, or deleting a tenant,
 * revokes the sessions bound to it at once (through the token service's revocation path).
 */
public final class TenantApi {

  private static final Pattern SLUG = Pattern.compile("[a-z0-9-]{3,40}");
  private static final int NAME_MAX = 100;
  private static final String KEY = "admin_tenant";

  private final Bus bus;
  private final TenantRepository tenants;
  private final UserChanges changes;
  private final UserEvents events;
  private final UserMetrics metrics;

  public TenantApi(Bus bus, TenantRepository tenants, UserChanges changes, UserEvents events, UserMetrics metrics) {
    this.bus = bus;
    this.tenants = tenants;
    this.changes = changes;
    this.events = events;
    this.metrics = metrics;
  }

  public void create(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    onlyNameAndSlug(body);
    String name = name(Fields.requiredString(body, "name"));
    String slug = slug(Fields.requiredString(body, "slug"));
    UUID appId = appId(ctx);
    tenants.create(appId, name, slug)
        .compose(tenant -> events.record(UserEvents.event(ctx, UserEvents.TENANT_CREATED, appId, null)
                .with("tenant_id", tenant.id().toString()).with("slug", slug))
            .map(tenant))
        .onSuccess(tenant -> {
          metrics.tenantChange("created");
          Responses.json(ctx, 201, tenant.toJson());
        })
        .onFailure(ctx::fail);
  }

  public void list(RoutingContext ctx) {
    int limit = Page.limit(ctx);
    tenants.page(appId(ctx), ctx.queryParams().get("cursor"), limit)
        .onSuccess(page -> Responses.ok(ctx, page.toJson("tenants", Tenant::toJson)))
        .onFailure(ctx::fail);
  }

  /** Guard: the tenant of the path, when it is the app's; {@code 404} otherwise. */
  public void load(RoutingContext ctx) {
    UUID tenantId = AppDirectory.parseUuid(ctx.pathParam("tenant_id"));
    if (tenantId == null) {
      ctx.fail(noSuchTenant());
      return;
    }
    tenants.get(appId(ctx), tenantId)
        .onSuccess(tenant -> {
          if (tenant == null) {
            ctx.fail(noSuchTenant());
            return;
          }
          ctx.put(KEY, tenant);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  public void get(RoutingContext ctx) {
    Responses.ok(ctx, tenant(ctx).toJson());
  }

  public void update(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    onlyNameAndSlug(body);
    Fields.notNull(body, "name", "slug");
    String rawName = Fields.optionalString(body, "name");
    String rawSlug = Fields.optionalString(body, "slug");
    String name = rawName == null ? null : name(rawName);
    String slug = rawSlug == null ? null : slug(rawSlug);
    Tenant before = tenant(ctx);
    tenants.update(before.appId(), before.id(), name, slug)
        .compose(after -> after == null ? Future.failedFuture(noSuchTenant()) : Future.succeededFuture(after))
        .compose(after -> {
          JsonArray fields = new JsonArray();
          if (!after.name().equals(before.name())) {
            fields.add("name");
          }
          if (!after.slug().equals(before.slug())) {
            fields.add("slug");
          }
          return fields.isEmpty() ? Future.succeededFuture(after)
              : events.record(UserEvents.event(ctx, UserEvents.TENANT_CHANGED, after.appId(), null)
                  .with("tenant_id", after.id().toString()).with("fields", fields)).map(after);
        })
        .onSuccess(after -> Responses.ok(ctx, after.toJson()))
        .onFailure(ctx::fail);
  }

  /** Deletes the tenant first (no login or refresh can bind to it any more), then revokes the sessions bound to it. */
  public void delete(RoutingContext ctx) {
    Tenant tenant = tenant(ctx);
    tenants.delete(tenant.appId(), tenant.id())
        .compose(deleted -> deleted ? Future.succeededFuture() : Future.failedFuture(noSuchTenant()))
        .compose(ignored -> revoke(ctx, tenant, null, "tenant_deleted"))
        .compose(revoked -> events.record(UserEvents.event(ctx, UserEvents.TENANT_DELETED, tenant.appId(), null)
            .with("tenant_id", tenant.id().toString())
            .with("sessions_revoked", revoked)))
        .onSuccess(ignored -> {
          metrics.tenantChange("deleted");
          Responses.ok(ctx, new JsonObject().put("tenant_id", tenant.id().toString()).put("deleted", true));
        })
        .onFailure(ctx::fail);
  }

  public void members(RoutingContext ctx) {
    int limit = Page.limit(ctx);
    tenants.members(tenant(ctx).id(), ctx.queryParams().get("cursor"), limit)
        .onSuccess(page -> Responses.ok(ctx, page.toJson("members", Member::toJson)))
        .onFailure(ctx::fail);
  }

  public void putMember(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Fields.onlyFields(body, Set.of("roles"));
    if (body.getValue("roles") == null) {
      // A PUT replaces the member's roles: a missing field must not read as "none" and wipe them.
      throw ApiException.invalid("roles", "is required ([] for a member without roles in this tenant)");
    }
    Roles.Refs roles = Roles.refs("roles", body.getValue("roles"));
    Tenant tenant = tenant(ctx);
    UUID userId = userId(ctx);
    tenants.putMember(tenant.appId(), tenant.id(), userId, roles)
        .compose(put -> put == null ? Future.failedFuture(noSuchUser()) : Future.succeededFuture(put))
        .compose(put -> {
          boolean changed = put.added() || !put.rolesBefore().equals(put.member().roles());
          if (!changed) {
            return Future.succeededFuture(put);
          }
          String type = put.added() ? UserEvents.MEMBER_ADDED : UserEvents.MEMBER_CHANGED;
          return changes.changed(userId)
              .compose(ignored -> events.record(UserEvents.event(ctx, type, tenant.appId(), userId)
                  .with("tenant_id", tenant.id().toString())
                  .with("roles", new JsonArray(put.member().roles()))))
              .onSuccess(ignored -> metrics.tenantChange(put.added() ? "member_added" : "member_changed"))
              .map(put);
        })
        .onSuccess(put -> Responses.ok(ctx, put.member().toJson().put("tenant_id", tenant.id().toString())))
        .onFailure(ctx::fail);
  }

  /** Removes the membership first (no new session can bind), then revokes the member's sessions bound to it. */
  public void removeMember(RoutingContext ctx) {
    Tenant tenant = tenant(ctx);
    UUID userId = userId(ctx);
    tenants.removeMember(tenant.id(), userId)
        .compose(removed -> removed ? Future.succeededFuture()
            : Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "user_id: not a member of this tenant")))
        .compose(ignored -> revoke(ctx, tenant, userId, "member_removed"))
        .compose(revoked -> changes.changed(userId).map(revoked))
        .compose(revoked -> events.record(UserEvents.event(ctx, UserEvents.MEMBER_REMOVED, tenant.appId(), userId)
            .with("tenant_id", tenant.id().toString())
            .with("sessions_revoked", revoked)))
        .onSuccess(ignored -> {
          metrics.tenantChange("member_removed");
          Responses.ok(ctx, new JsonObject()
              .put("tenant_id", tenant.id().toString())
              .put("user_id", userId.toString())
              .put("removed", true));
        })
        .onFailure(ctx::fail);
  }

  /** Revokes the sessions bound to the tenant (of one user when userId is not null) through the token service. */
  private Future<Integer> revoke(RoutingContext ctx, Tenant tenant, UUID userId, String reason) {
    return bus.request(Bus.TOKEN_REVOKE, Revoke.tenant(tenant.appId(), tenant.id(), userId, reason,
        AdminAuth.principal(ctx).toAudit(), RequestIds.of(ctx), Requests.callerIp(ctx))).map(revoked -> revoked.revoked());
  }

  private static void onlyNameAndSlug(JsonObject body) {
    Fields.onlyFields(body, Set.of("name", "slug"));
  }

  private static String name(String raw) {
    String name = raw.trim();
    if (name.isEmpty() || name.length() > NAME_MAX) {
      throw ApiException.invalid("name", "must be 1 to " + NAME_MAX + " characters");
    }
    return name;
  }

  private static String slug(String slug) {
    if (!SLUG.matcher(slug).matches()) {
      throw ApiException.invalid("slug", "must match " + SLUG.pattern());
    }
    return slug;
  }

  private static UUID appId(RoutingContext ctx) {
    return AppAccess.app(ctx).app().id();
  }

  private static Tenant tenant(RoutingContext ctx) {
    return ctx.get(KEY);
  }

  private static UUID userId(RoutingContext ctx) {
    UUID id = AppDirectory.parseUuid(ctx.pathParam("user_id"));
    if (id == null) {
      throw noSuchUser();
    }
    return id;
  }

  private static ApiException noSuchUser() {
    return new ApiException(ErrorCode.NOT_FOUND, "user_id: no such user");
  }

  private static ApiException noSuchTenant() {
    return new ApiException(ErrorCode.NOT_FOUND, "tenant_id: no such tenant");
  }
}
