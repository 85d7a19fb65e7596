package dev.portcullis.tenant;

import dev.portcullis.app.AppAccess;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.QueryParams;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.token.SessionEnds;
import dev.portcullis.user.Page;
import dev.portcullis.user.Roles;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserEvents;
import dev.portcullis.user.UserMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
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

  private final SessionEnds sessions;
  private final TenantRepository tenants;
  private final UserChanges changes;
  private final UserEvents events;
  private final UserMetrics metrics;

  public TenantApi(SessionEnds sessions, TenantRepository tenants, UserChanges changes, UserEvents events,
                   UserMetrics metrics) {
    this.sessions = sessions;
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
    AuditStaging.Batch batch = events.batch();
    tenants.create(appId, name, slug, batch.events(tenant -> List.of(UserEvents.event(ctx, UserEvents.TENANT_CREATED,
            appId, null).with("tenant_id", tenant.id().toString()).with("slug", slug))))
        .compose(batch::recorded)
        .onSuccess(tenant -> {
          metrics.tenantChange("created");
          Responses.json(ctx, 201, tenant.toJson());
        })
        .onFailure(ctx::fail);
  }

  public void list(RoutingContext ctx) {
    int limit = Page.limit(ctx);
    tenants.page(appId(ctx), QueryParams.of(ctx).get("cursor"), limit)
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
    AuditStaging.Batch batch = events.batch();
    tenants.update(before.appId(), before.id(), name, slug, batch.events(after -> {
          JsonArray fields = new JsonArray();
          if (!after.name().equals(before.name())) {
            fields.add("name");
          }
          if (!after.slug().equals(before.slug())) {
            fields.add("slug");
          }
          return fields.isEmpty() ? List.of() : List.of(UserEvents.event(ctx, UserEvents.TENANT_CHANGED, after.appId(),
              null).with("tenant_id", after.id().toString()).with("fields", fields));
        }))
        .compose(after -> after == null ? Future.failedFuture(noSuchTenant()) : batch.recorded(after))
        .onSuccess(after -> Responses.ok(ctx, after.toJson()))
        .onFailure(ctx::fail);
  }

  /** Deletes the tenant and revokes the sessions bound to it in one transaction, with the events of both. */
  public void delete(RoutingContext ctx) {
    Tenant tenant = tenant(ctx);
    SessionEnds.Ending ending = ending(ctx, tenant);
    tenants.delete(tenant.appId(), tenant.id(), (conn, deleted) -> ending.tenant(conn, deleted, null, "tenant_deleted",
            UserEvents.event(ctx, UserEvents.TENANT_DELETED, tenant.appId(), null)
                .with("tenant_id", tenant.id().toString())))
        .compose(deleted -> deleted ? ending.committed() : Future.failedFuture(noSuchTenant()))
        .onSuccess(ignored -> {
          metrics.tenantChange("deleted");
          Responses.ok(ctx, new JsonObject().put("tenant_id", tenant.id().toString()).put("deleted", true));
        })
        .onFailure(ctx::fail);
  }

  public void members(RoutingContext ctx) {
    int limit = Page.limit(ctx);
    tenants.members(tenant(ctx).id(), QueryParams.of(ctx).get("cursor"), limit)
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
    AuditStaging.Batch batch = events.batch();
    tenants.putMember(tenant.appId(), tenant.id(), userId, roles, batch.events(put -> List.of(UserEvents.event(ctx,
            put.added() ? UserEvents.MEMBER_ADDED : UserEvents.MEMBER_CHANGED, tenant.appId(), userId)
            .with("tenant_id", tenant.id().toString())
            .with("roles", new JsonArray(put.member().roles())))))
        .compose(put -> put == null ? Future.failedFuture(noSuchUser()) : Future.succeededFuture(put))
        .compose(put -> !put.changed() ? Future.succeededFuture(put) : batch.recorded(put)
            .compose(ignored -> changes.changed(userId))
            .onSuccess(ignored -> metrics.tenantChange(put.added() ? "member_added" : "member_changed"))
            .map(put))
        .onSuccess(put -> Responses.ok(ctx, put.member().toJson().put("tenant_id", tenant.id().toString())))
        .onFailure(ctx::fail);
  }

  /** Removes the membership and revokes the member's sessions bound to it in one transaction, with their events. */
  public void removeMember(RoutingContext ctx) {
    Tenant tenant = tenant(ctx);
    UUID userId = userId(ctx);
    SessionEnds.Ending ending = ending(ctx, tenant);
    tenants.removeMember(tenant.id(), userId, (conn, removed) -> ending.tenant(conn, tenant.id(), removed,
            "member_removed", UserEvents.event(ctx, UserEvents.MEMBER_REMOVED, tenant.appId(), userId)
                .with("tenant_id", tenant.id().toString())))
        .compose(removed -> removed ? ending.committed()
            : Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "user_id: not a member of this tenant")))
        .compose(ignored -> changes.changed(userId))
        .onSuccess(ignored -> {
          metrics.tenantChange("member_removed");
          Responses.ok(ctx, new JsonObject()
              .put("tenant_id", tenant.id().toString())
              .put("user_id", userId.toString())
              .put("removed", true));
        })
        .onFailure(ctx::fail);
  }

  /** A change of this request that ends sessions bound to the tenant, their events naming who made it. */
  private SessionEnds.Ending ending(RoutingContext ctx, Tenant tenant) {
    return sessions.begin(events.batch(), tenant.appId(), RequestIds.of(ctx), Requests.callerIp(ctx),
        AdminAuth.principal(ctx).toAudit());
  }

  private static void onlyNameAndSlug(JsonObject body) {
    Fields.onlyFields(body, Set.of("name", "slug"));
  }

  private static String name(String raw) {
    return DisplayText.name(raw, NAME_MAX);
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
