package dev.portcullis.http;

import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/**
 * Guard for {@code /auth/*}: the client backend's {@code app_id} + {@code app_secret}, from the JSON body or
 * HTTP Basic, checked by a {@link ClientAuthenticator}. Puts the authenticated app's id on the context, or
 * fails with the authenticator's answer ({@code 401 invalid_client}).
 */
public final class ClientAuth implements Handler<RoutingContext> {

  private static final String KEY = "client_app_id";

  private final ClientAuthenticator authenticator;

  public ClientAuth(ClientAuthenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String[] credentials = credentials(ctx);
    authenticator.authenticate(new ClientAuthenticator.Attempt(credentials[0], credentials[1], RequestIds.of(ctx),
            Requests.callerIp(ctx)))
        .onSuccess(appId -> {
          ctx.put(KEY, appId);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  /**
   * The same guard for routes where client credentials are optional (the license device calls): it checks
   * them when the call carries any (an {@code app_secret} or HTTP Basic), and passes calls without them on.
   */
  public Handler<RoutingContext> whenPresented() {
    return ctx -> {
      String header = ctx.request().getHeader("Authorization");
      boolean basic = header != null && header.regionMatches(true, 0, "Basic ", 0, 6);
      if (basic || JsonBody.of(ctx).getValue("app_secret") != null) {
        handle(ctx);
      } else {
        ctx.next();
      }
    };
  }

  /** The id of the app that authenticated this request. */
  public static UUID appId(RoutingContext ctx) {
    return ctx.get(KEY);
  }

  private static String[] credentials(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        if (colon > 0 && agrees(JsonBody.of(ctx), decoded.substring(0, colon), decoded.substring(colon + 1))) {
          return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
        }
      } catch (IllegalArgumentException ignored) {
        // not base64: treated as missing credentials
      }
      return new String[] {null, null};
    }
    JsonObject body = JsonBody.of(ctx);
    Object id = body.getValue("app_id");
    Object secret = body.getValue("app_secret");
    return new String[] {id instanceof String s ? s : null, secret instanceof String s ? s : null};
  }

  /**
   * Credentials in the body besides HTTP Basic must be the same ones: a call that names two apps, or two secrets,
   * is refused rather than read as one of them.
   */
  private static boolean agrees(JsonObject body, String basicId, String basicSecret) {
    Object id = body.getValue("app_id");
    Object secret = body.getValue("app_secret");
    return (id == null || basicId.equals(id)) && (secret == null || basicSecret.equals(secret));
  }
}
