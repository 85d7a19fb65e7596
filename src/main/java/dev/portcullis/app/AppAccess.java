package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.AdminAuth;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Guard for {@code /v1/apps/:app_id/...}, after {@link AdminAuth}: loads the app (fresh, not cached) and puts
 * it on the context. An id that is malformed, unknown, the console's or another owner's is {@code 404
 * not_found}, so an owner cannot even learn which ids exist.
 */
public final class AppAccess implements Handler<RoutingContext> {

  private static final String KEY = "admin_app";

  private final AppRepository apps;

  public AppAccess(AppRepository apps) {
    this.apps = apps;
  }

  @Override
  public void handle(RoutingContext ctx) {
    UUID id = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    if (id == null || App.CONSOLE_ID.equals(id)) {
      ctx.fail(notFound());
      return;
    }
    AdminAuth.Principal principal = AdminAuth.principal(ctx);
    apps.findWithKey(id)
        .onSuccess(found -> {
          if (found == null || !principal.mayAccess(found.app().ownerId())) {
            ctx.fail(notFound());
            return;
          }
          ctx.put(KEY, found);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  public static AppWithKey app(RoutingContext ctx) {
    return ctx.get(KEY);
  }

  public static ApiException notFound() {
    return new ApiException(ErrorCode.NOT_FOUND, "app_id: no such app");
  }
}
