package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus contract: every address, the send timeout, and how a failure travels back.
 *
 * <p>Messages are {@link JsonObject}s. Every request carries {@code request_id} and, when known,
 * {@code client_ip}, so services can log and audit with them. A service failure is replied with
 * {@code fail(status, json)} where json is {@link ApiException#toWire()}; {@link Failures} turns it back into
 * the same ApiException on the sender's side.
 */
public final class Bus {

  private static final Logger LOG = LoggerFactory.getLogger(Bus.class);

  /** Audit: {events: [{type, app_id, user_id?, request_id, client_ip?, data}]}; replies once they are committed. */
  public static final String AUDIT_RECORD = "portcullis.audit.record";

  /** Tokens: {app_id, user: {id, email, phone, created_at}, new_user} → token response. */
  public static final String TOKEN_ISSUE = "portcullis.token.issue";
  /** Tokens: {app_id, refresh_token} → token response. */
  public static final String TOKEN_REFRESH = "portcullis.token.refresh";
  /** Tokens: {app_id, refresh_token, everywhere} → {revoked}. */
  public static final String TOKEN_LOGOUT = "portcullis.token.logout";
  /** Tokens: {app_id, session_id, reason} → {revoked: 0|1}; a session of another app is left alone. */
  public static final String TOKEN_REVOKE_SESSION = "portcullis.token.revoke-session";
  /** Tokens: {access_token, app_id?} → {user, session, app_id}; with app_id, tokens of other apps are refused. */
  public static final String TOKEN_INTROSPECT = "portcullis.token.introspect";

  /** OTP: {app_id, email | phone, client_ip?} → {otp_request_id, channel, expires_in, resend_after}. */
  public static final String OTP_SEND = "portcullis.otp.send";
  /**
   * OTP: {app_id, otp_request_id, otp, client_ip?, issue?} → the token response (via TOKEN_ISSUE) once the code is
   * consumed; with {@code issue: false}, {user, new_user} and no session.
   */
  public static final String OTP_VERIFY = "portcullis.otp.verify";

  /**
   * Apps (published, local to one process): {app_id, change: "secret" | "key" | "settings" | "deleted"}; every
   * verticle that caches apps or keys drops its entry for that app.
   */
  public static final String APP_CHANGED = "portcullis.app.changed";

  public static final long SEND_TIMEOUT_MS = 10_000;

  private static final DeliveryOptions OPTIONS = new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS);

  private final Vertx vertx;

  public Bus(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends a request and maps a failed reply back to the ApiException the service raised. */
  public Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus()
        .<JsonObject>request(address, body, OPTIONS)
        .map(Message::body)
        .recover(failure -> Future.failedFuture(Failures.toApi(failure)));
  }

  /** Registers a service: its handler's failures are replied with the error contract, bugs are logged once. */
  public static MessageConsumer<JsonObject> serve(Vertx vertx, String address,
                                                  Function<JsonObject, Future<JsonObject>> handler) {
    return vertx.eventBus().<JsonObject>consumer(address, message -> {
      Future<JsonObject> result;
      try {
        result = handler.apply(message.body());
      } catch (RuntimeException bug) {
        result = Future.failedFuture(bug);
      }
      result.onComplete(done -> {
        if (done.succeeded()) {
          message.reply(done.result());
          return;
        }
        ApiException failure = Failures.toApi(done.cause());
        if (Failures.isInternal(failure) && !failure.logged()) {
          LOG.error("{} failed for request {}", address, message.body().getString("request_id"), done.cause());
          failure.markLogged();
        }
        message.fail(failure.code().status(), failure.toWire().encode());
      });
    });
  }
}
