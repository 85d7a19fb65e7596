package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Secrets;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Guard for {@code /v1}: {@code Authorization: Bearer <PORTCULLIS_ADMIN_KEY>} (compared in constant time)
 * or an owner's access token. Puts the {@link Principal} on the context.
 */
public final class AdminAuth {

  /** Who is calling the admin API: the operator (admin key) or an owner (a console user id). */
  public record Principal(boolean operator, UUID ownerId) {

    public boolean mayAccess(UUID appOwner) {
      return operator || (ownerId != null && ownerId.equals(appOwner));
    }
  }

  private static final String KEY = "admin_principal";

  private final byte[] adminKeyHash;

  public AdminAuth(String adminKey) {
    this.adminKeyHash = adminKey == null ? null : Secrets.sha256(adminKey);
  }

  public void handle(RoutingContext ctx) {
    String token = bearer(ctx);
    if (token == null) {
      ctx.fail(new ApiException(ErrorCode.INVALID_TOKEN, "Authorization: Bearer <token> is required"));
      return;
    }
    // Hashing both sides first makes the comparison constant-time whatever the lengths.
    if (adminKeyHash != null && Secrets.constantTimeEquals(adminKeyHash, Secrets.sha256(token))) {
      ctx.put(KEY, new Principal(true, null));
      ctx.next();
      return;
    }
    ctx.fail(new ApiException(ErrorCode.INVALID_TOKEN, "the bearer token is not valid"));
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
