package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Secrets;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Guard for {@code /v1}: {@code Authorization: Bearer <PORTCULLIS_ADMIN_KEY>} (compared in constant time)
 * or an owner's access token, checked by an {@link OwnerAuthenticator}. Puts the {@link Principal} on the context.
 */
public final class AdminAuth implements Handler<RoutingContext> {

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
  private final OwnerAuthenticator owners;

  public AdminAuth(String adminKey, OwnerAuthenticator owners) {
    this.adminKeyHash = adminKey == null ? null : Secrets.sha256(adminKey);
    this.owners = owners;
  }

  @Override
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
    owners.ownerOf(token, RequestIds.of(ctx), Requests.callerIp(ctx))
        .onSuccess(ownerId -> {
          ctx.put(KEY, Principal.ofOwner(ownerId));
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
}
