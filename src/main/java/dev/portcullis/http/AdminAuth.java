package dev.portcullis.http;

import dev.portcullis.app.App;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Guard for {@code /v1}: {@code Authorization: Bearer <PORTCULLIS_ADMIN_KEY>} (compared in constant time)
 * or an owner's access token, i.e. an access token of the console app, checked by the Token verticle. Puts
 * the {@link Principal} on the context.
 */
public final class AdminAuth {

  /** Who is calling the admin API: the operator (admin key) or an owner (a console user id). */
  public record Principal(boolean operator, UUID ownerId) {

    public static Principal ofOperator() {
      return new Principal(true, null);
    }

    public static Principal ofOwner(UUID ownerId) {
      return new Principal(false, ownerId);
    }

    public boolean mayAccess(UUID appOwner) {
      return operator || (ownerId != null && ownerId.equals(appOwner));
    }

    /** Who did it, for audit events: never a secret. */
    public JsonObject toAudit() {
      return operator
          ? new JsonObject().put("actor", "operator")
          : new JsonObject().put("actor", "owner").put("owner_id", ownerId.toString());
    }
  }

  private static final String KEY = "admin_principal";

  private final byte[] adminKeyHash;
  private final Bus bus;

  public AdminAuth(String adminKey, Bus bus) {
    this.adminKeyHash = adminKey == null ? null : Secrets.sha256(adminKey);
    this.bus = bus;
  }

  public void handle(RoutingContext ctx) {
    String token = bearer(ctx);
    if (token == null) {
      ctx.fail(new ApiException(ErrorCode.INVALID_TOKEN, "Authorization: Bearer <token> is required"));
      return;
    }
    // Hashing both sides first makes the comparison constant-time whatever the lengths.
    if (adminKeyHash != null && Secrets.constantTimeEquals(adminKeyHash, Secrets.sha256(token))) {
      ctx.put(KEY, Principal.ofOperator());
      ctx.next();
      return;
    }
    owner(token, RequestIds.of(ctx))
        .onSuccess(principal -> {
          ctx.put(KEY, principal);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  public static Principal principal(RoutingContext ctx) {
    return ctx.get(KEY);
  }

  public static String bearer(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  /** The owner whose console access token this is; tokens of client apps are refused like bad ones. */
  private Future<Principal> owner(String token, String requestId) {
    JsonObject message = new JsonObject()
        .put("app_id", App.CONSOLE_ID.toString())
        .put("access_token", token)
        .put("request_id", requestId);
    return bus.request(Bus.TOKEN_INTROSPECT, message)
        .recover(failure -> {
          ApiException api = Failures.toApi(failure);
          boolean passOn = api.code().status() == 401 || api.code().status() >= 500;
          return Future.failedFuture(passOn ? api : notValid());
        })
        .compose(reply -> {
          JsonObject user = reply.getJsonObject("user");
          boolean console = App.CONSOLE_ID.toString().equals(reply.getString("app_id"));
          UUID ownerId = user == null ? null : parse(user.getString("id"));
          return console && ownerId != null
              ? Future.succeededFuture(Principal.ofOwner(ownerId))
              : Future.failedFuture(notValid());
        });
  }

  private static ApiException notValid() {
    return new ApiException(ErrorCode.INVALID_TOKEN, "the bearer token is neither the admin key nor an owner's access token");
  }

  private static UUID parse(String id) {
    try {
      return id == null ? null : UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
