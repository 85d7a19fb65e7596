package dev.portcullis.http;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditEvent;
import dev.portcullis.audit.AuditLog;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Guard for {@code /auth/*}: the client backend's {@code app_id} + {@code app_secret}, from the JSON body or
 * HTTP Basic. Puts the authenticated {@link App} on the context, or fails with {@code 401 invalid_client},
 * the same answer for an unknown app, a wrong secret and missing credentials, after auditing the attempt.
 */
public final class ClientAuth {

  private static final String KEY = "client_app";

  private final AppDirectory directory;
  private final AuditLog audit;
  private final Counter failures;

  public ClientAuth(ApiContext api) {
    this.directory = api.appDirectory();
    this.audit = api.audit();
    this.failures = Counter.builder("portcullis.client.auth.failures")
        .description("Client authentications refused with 401 invalid_client")
        .register(api.metrics());
  }

  public void handle(RoutingContext ctx) {
    String[] credentials = credentials(ctx);
    directory.authenticate(credentials[0], credentials[1])
        .compose(verdict -> verdict.accepted() ? Future.succeededFuture(verdict.app()) : reject(ctx, verdict))
        .onSuccess(app -> {
          ctx.put(KEY, app);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  public static App app(RoutingContext ctx) {
    return ctx.get(KEY);
  }

  /** Audits the attempt under the app it claimed (when that exists); the answer is 401 whatever the audit did. */
  private Future<App> reject(RoutingContext ctx, AppDirectory.Verdict verdict) {
    failures.increment();
    AuditEvent event = AuditEvent.of(AuditEvent.CLIENT_AUTH_FAILED,
            verdict.claimedAppId() == null ? AuditEvent.SYSTEM_APP : verdict.claimedAppId(),
            RequestIds.of(ctx), Requests.callerIp(ctx))
        .with("reason", "invalid_client");
    return audit.record(event).transform(ignored -> Future.failedFuture(AppDirectory.invalidClient()));
  }

  private static String[] credentials(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        if (colon > 0) {
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
}
