package dev.portcullis.owner;

import dev.portcullis.app.App;
import dev.portcullis.audit.AuditEvent;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.ApiContext;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import dev.portcullis.otp.ClientNetwork;
import dev.portcullis.otp.Identity;
import dev.portcullis.security.SecurityEvents;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import java.util.UUID;

/**
 * Owner sign-in ({@code /v1/owners/*}) and creation ({@code POST /v1/owners}, operator only). Owners are the
 * users of the built-in console app: these routes send the same bus messages as {@code /auth/*} with the
 * console's app id, so codes, rate limits, sessions and refresh-token rotation are the OTP and Token services'
 * own. No client credentials: the caller speaks for itself, and its connection's IP is the one rate limits and
 * the audit log see.
 *
 * <p>Sign-up follows {@code PORTCULLIS_OWNER_SIGNUP}: an identity that may not become an owner gets the same
 * answer as one that may, but no code, and the refusal is audited and reported to the security webhook (at
 * most once a minute per client network).
 */
public final class OwnerApi {

  static final String OWNER_CREATED = "owner.created";
  static final String SIGNUP_REFUSED = "owner.signup_refused";
  private static final long REFUSAL_REPORT_MS = 60_000;

  private final ApiContext api;
  private final AdminAuth adminAuth;
  private final OwnerRepository owners;
  private final OwnerSignupPolicy policy;
  private final SecurityEvents securityEvents;
  private final Counter signIns;
  private final Counter refusals;

  public OwnerApi(ApiContext api, AdminAuth adminAuth) {
    this.api = api;
    this.adminAuth = adminAuth;
    this.owners = new OwnerRepository(api.pg());
    this.policy = OwnerSignupPolicy.from(api.config());
    this.securityEvents = new SecurityEvents(api.vertx());
    this.signIns = Counter.builder("portcullis.owner.sign.ins")
        .description("Owners signed in with a code")
        .register(api.metrics());
    this.refusals = Counter.builder("portcullis.owner.signup.refusals")
        .description("Codes asked for by identities that may not become owners (answered, not sent)")
        .register(api.metrics());
  }

  public void mount(Router router) {
    router.post("/v1/owners").handler(adminAuth::handle).handler(this::create);
    router.post("/v1/owners/send-otp").handler(this::sendOtp);
    router.post("/v1/owners/verify-otp").handler(this::verifyOtp);
    router.post("/v1/owners/refresh").handler(this::refresh);
    router.post("/v1/owners/logout").handler(this::logout);
  }

  private void create(RoutingContext ctx) {
    if (!AdminAuth.principal(ctx).operator()) {
      ctx.fail(new ApiException(ErrorCode.FORBIDDEN, "only the operator (admin key) creates owners"));
      return;
    }
    JsonObject body = JsonBody.of(ctx);
    Identity identity = Identity.of(Fields.optionalString(body, "email"), Fields.optionalString(body, "phone"));
    answer(ctx, 201, owners.create(identity)
        .compose(created -> created
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(new ApiException(ErrorCode.CONFLICT,
                identity.kind().field() + ": already an owner"))))
        .compose(owner -> api.audit().record(AuditEvent.of(OWNER_CREATED, App.CONSOLE_ID, RequestIds.of(ctx),
                    Requests.callerIp(ctx))
                .withUser(owner.id())
                .with("actor", "operator")
                .with(identity.kind().field(), identity.masked()))
            .map(stored -> new JsonObject().put("owner", owner.toJson()))));
  }

  private void sendOtp(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Identity identity = Identity.of(Fields.optionalString(body, "email"), Fields.optionalString(body, "phone"));
    Future<JsonObject> sent = owners.find(identity).compose(owner -> {
      if (owner.isEmpty() && !policy.allowsNew(identity)) {
        return refused(ctx, identity);
      }
      JsonObject message = new JsonObject()
          .put("email", identity.kind() == Identity.Kind.EMAIL ? identity.value() : null)
          .put("phone", identity.kind() == Identity.Kind.PHONE ? identity.value() : null)
          // The console sends codes by email only, except to an owner who has nothing but a phone.
          .put("owner_phone_only", owner.map(found -> found.email() == null).orElse(false));
      return console(ctx, Bus.OTP_SEND, message).map(reply -> new JsonObject()
          .put("otp_request_id", reply.getValue("otp_request_id"))
          .put("expires_in", reply.getValue("expires_in"))
          .put("resend_after", reply.getValue("resend_after")));
    });
    answer(ctx, 200, sent);
  }

  /** The answer an allowed identity would get, but no code; audited, and reported at most once a minute per network. */
  private Future<JsonObject> refused(RoutingContext ctx, Identity identity) {
    refusals.increment();
    String clientIp = Requests.callerIp(ctx);
    AuditEvent event = AuditEvent.of(SIGNUP_REFUSED, App.CONSOLE_ID, RequestIds.of(ctx), clientIp)
        .with(identity.kind().field(), identity.masked());
    return api.audit().record(event)
        .onSuccess(stored -> reportOncePerMinute(identity, clientIp))
        .compose(stored -> api.appDirectory().find(App.CONSOLE_ID))
        .map(console -> {
          var settings = console.orElseThrow().settings();
          return new JsonObject()
              .put("otp_request_id", UUID.randomUUID().toString())
              .put("expires_in", settings.otpTtl())
              .put("resend_after", settings.otpResendCooldown());
        });
  }

  private void reportOncePerMinute(Identity identity, String clientIp) {
    String network = clientIp == null ? "unknown" : ClientNetwork.of(clientIp);
    api.redis().send(Command.SET, api.redis().key("security", "{owner-signup-refused}", network), "1", "NX", "PX",
            Long.toString(REFUSAL_REPORT_MS))
        .onSuccess(reply -> {
          if (reply != null) {
            securityEvents.publish(SecurityEvents.OWNER_SIGNUP_REFUSED, App.CONSOLE_ID, null, null, new JsonObject()
                .put(identity.kind().field(), identity.masked())
                .put("client_ip", clientIp));
          }
        });
  }

  private void verifyOtp(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("otp_request_id", Fields.requiredString(body, "otp_request_id"))
        .put("otp", Fields.requiredString(body, "otp"));
    answer(ctx, 200, console(ctx, Bus.OTP_VERIFY, message).compose(tokens -> signedIn(ctx, tokens)).map(OwnerApi::asOwner));
  }

  private void refresh(RoutingContext ctx) {
    JsonObject message = new JsonObject().put("refresh_token", Fields.requiredString(JsonBody.of(ctx), "refresh_token"));
    answer(ctx, 200, console(ctx, Bus.TOKEN_REFRESH, message).map(OwnerApi::asOwner));
  }

  private void logout(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    JsonObject message = new JsonObject()
        .put("refresh_token", Fields.requiredString(body, "refresh_token"))
        .put("everywhere", Fields.optionalBoolean(body, "everywhere", false));
    answer(ctx, 200, console(ctx, Bus.TOKEN_LOGOUT, message));
  }

  /** Sends a message on behalf of the console app. */
  private Future<JsonObject> console(RoutingContext ctx, String address, JsonObject message) {
    return api.bus().request(address, message
        .put("app_id", App.CONSOLE_ID.toString())
        .put("request_id", RequestIds.of(ctx))
        .put("client_ip", Requests.callerIp(ctx)));
  }

  private Future<JsonObject> signedIn(RoutingContext ctx, JsonObject tokens) {
    UUID ownerId = UUID.fromString(tokens.getJsonObject("user").getString("id"));
    AuditEvent event = AuditEvent.of(AuditEvent.OWNER_SIGNED_IN, App.CONSOLE_ID, RequestIds.of(ctx), Requests.callerIp(ctx))
        .withUser(ownerId)
        .with("new_owner", tokens.getBoolean("new_user", false));
    return api.audit().record(event)
        .onSuccess(stored -> signIns.increment())
        .map(tokens);
  }

  /** The token response of API.md, with {@code owner} in place of {@code user}. */
  private static JsonObject asOwner(JsonObject tokens) {
    JsonObject owner = tokens.copy();
    owner.put("owner", owner.remove("user"));
    return owner;
  }

  private static void answer(RoutingContext ctx, int status, Future<JsonObject> result) {
    result.onSuccess(json -> Responses.json(ctx, status, json)).onFailure(ctx::fail);
  }
}
