package dev.portcullis.user;

import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.QueryParams;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** The role catalogue of an app ({@code /v1/apps/{app_id}/roles}): the five built-ins and the app's custom roles. */
public final class RoleApi {

  private static final int DESCRIPTION_MAX = 200;

  private final RoleRepository roles;
  private final UserChanges changes;
  private final UserEvents events;

  public RoleApi(RoleRepository roles, UserChanges changes, UserEvents events) {
    this.roles = roles;
    this.changes = changes;
    this.events = events;
  }

  public void list(RoutingContext ctx) {
    int limit = Page.limit(ctx);
    roles.list(UserApi.appId(ctx), QueryParams.of(ctx).get("cursor"), limit)
        .onSuccess(page -> Responses.ok(ctx, page.toJson("roles", Role::toJson)))
        .onFailure(ctx::fail);
  }

  public void create(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Fields.onlyFields(body, Set.of("name", "description"));
    String name = Fields.requiredString(body, "name");
    if (!Roles.NAME.matcher(name).matches()) {
      throw ApiException.invalid("name", "must match " + Roles.NAME.pattern());
    }
    String description = Fields.optionalString(body, "description");
    if (description != null && DisplayText.characters(description) > DESCRIPTION_MAX) {
      throw ApiException.invalid("description", "must be at most " + DESCRIPTION_MAX + " characters");
    }
    DisplayText.require("description", description);
    UUID appId = UserApi.appId(ctx);
    AuditStaging.Batch batch = events.batch();
    roles.create(appId, name, description, batch.events(role -> List.of(
            UserEvents.event(ctx, UserEvents.ROLE_CREATED, appId, null).with("role", role.name()).with("role_id", role.id()))))
        .compose(batch::recorded)
        .onSuccess(role -> Responses.json(ctx, 201, role.toJson()))
        .onFailure(ctx::fail);
  }

  /** Deletes a custom role and every grant of it; its holders' /auth/me shows the change at once. */
  public void delete(RoutingContext ctx) {
    Roles.Refs ref = Roles.ref("role", ctx.pathParam("role"));
    UUID appId = UserApi.appId(ctx);
    AuditStaging.Batch batch = events.batch();
    roles.delete(appId, ref, batch.events(deleted -> List.of(UserEvents.event(ctx, UserEvents.ROLE_DELETED, appId, null)
            .with("role", deleted.role().name())
            .with("role_id", deleted.role().id())
            .with("holders", deleted.holders().size()))))
        .compose(deleted -> deleted == null
            ? Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "role: no such role in this app"))
            : Future.succeededFuture(deleted))
        .compose(deleted -> changes.changed(deleted.holders())
            .compose(ignored -> batch.recorded(deleted)))
        .onSuccess(deleted -> Responses.ok(ctx, new JsonObject()
            .put("name", deleted.role().name())
            .put("id", deleted.role().id())
            .put("deleted", true)))
        .onFailure(ctx::fail);
  }
}
