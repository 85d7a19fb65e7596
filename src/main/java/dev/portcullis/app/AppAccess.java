package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.AdminAuth;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Guard for {@code /v1/apps/:app_id/...}, after {@link AdminAuth}: loads the app (fresh, not cached) and puts
 * it on the context. An id that is malformed, unknown or another owner's is {@code 404 not_found}, so an owner
 * cannot even learn which ids exist. The console app is the operator's alone (its OTP settings decide who can
 * be sent owner codes, and its users are the owners): an owner gets {@code 404} for it too.
 */
public final class AppAccess implements Handler<RoutingContext> {

  private static final String KEY = "admin_app";

  private final AppRepository apps;

  public AppAccess(AppRepository apps) {
    this.apps = apps;
  }

  /** For every app route but reading and changing settings: the console app is 404 even for the operator. */
  @Override
  public void handle(RoutingContext ctx) {
    load(ctx, false);
  }

  /**
   * For reading and changing the console app's settings, and for reading, disabling and enabling its users (the
   * owners) and ending their sessions: the operator also reaches the console app there.
   */
  public Handler<RoutingContext> withConsole() {
    return ctx -> load(ctx, true);
  }

  private void load(RoutingContext ctx, boolean consoleForOperator) {
    UUID id = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    AdminAuth.Principal principal = AdminAuth.principal(ctx);
    if (id == null || App.CONSOLE_ID.equals(id) && !(consoleForOperator && principal.operator())) {
      ctx.fail(notFound());
      return;
    }
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
