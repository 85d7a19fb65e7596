package dev.portcullis.app;

import dev.portcullis.audit.AuditEvent;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.Secrets;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.ApiContext;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Responses;
import dev.portcullis.token.SigningKeyMaterial;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Pattern;

/** The admin API for apps ({@code /v1/apps}). */
public final class AppApi {

  private static final Pattern SLUG = Pattern.compile("[a-z0-9-]{3,40}");

  private final ApiContext api;
  private final AdminAuth adminAuth;

  public AppApi(ApiContext api, AdminAuth adminAuth) {
    this.api = api;
    this.adminAuth = adminAuth;
  }

  public void mount(Router router) {
    router.post("/v1/apps").handler(adminAuth::handle).handler(this::create);
  }

  private void create(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    String name = Fields.requiredString(body, "name").trim();
    String slug = Fields.requiredString(body, "slug");
    if (!SLUG.matcher(slug).matches()) {
      throw ApiException.invalid("slug", "must match [a-z0-9-]{3,40}");
    }
    List<String> callbackUrls = CallbackUrls.validate(Fields.optionalStringList(body, "callback_urls"));
    AppSettings settings = AppSettings.merge(AppSettings.defaults(), Fields.optionalObject(body, "settings"));
    String secret = "pcs_" + Secrets.randomToken(32);
    AdminAuth.Principal principal = AdminAuth.principal(ctx);
    api.vertx().executeBlocking(() -> SigningKeyMaterial.generate(api.masterKey()))
        .compose(key -> api.apps()
            .create(principal.ownerId(), name, slug, api.masterKey().appSecretHash(secret), callbackUrls, settings, key)
            .compose(app -> api.audit().record(AuditEvent.of(AuditEvent.APP_CREATED, app.id(), RequestIds.of(ctx), null)
                .with("slug", slug)).map(app))
            .map(app -> app.toJson(api.config().issuer())
                .put("app_secret", secret)
                .put("jwt_public_key", key.publicPem())))
        .recover(failure -> Postgres.isUniqueViolation(failure)
            ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "slug: '" + slug + "' is taken"))
            : Future.failedFuture(failure))
        .onSuccess(json -> Responses.json(ctx, 201, json))
        .onFailure(ctx::fail);
  }
}
