package dev.portcullis.core;

import dev.portcullis.core.messages.AppMessages;
import dev.portcullis.core.messages.AuditMessages;
import dev.portcullis.core.messages.LicenseMessages;
import dev.portcullis.core.messages.OtpMessages;
import dev.portcullis.core.messages.PasswordMessages;
import dev.portcullis.core.messages.TokenMessages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event-bus contract: every address with its request record and reply type, the send timeout, and how
 * a failure travels back.
 *
 * <p>Messages are Java records (in {@code core.messages}), passed by reference within the process by one
 * {@link LocalRecordCodec}. Requests implement {@link Request}: they carry the request id and, when known,
 * the end user's IP, so services can log and audit with them. A service failure is replied with
 * {@code fail(status, json)} where json is {@link ApiException#toWire()}; {@link Failures} turns it back into
 * the same ApiException on the sender's side.
 *
 * <p>A new message: a record per request and reply in {@code core.messages}, one constant here, then
 * {@link #serve} in the verticle that answers it and {@link #request} where it is sent.
 */
public final class Bus {

  private static final Logger LOG = LoggerFactory.getLogger(Bus.class);

  /** An address, with the record it takes and the type it replies with ({@link Void} when published). */
  public record Address<Q, P>(String name, Class<Q> request, Class<P> reply) {
  }

  /** What every request carries for logs and audit events. */
  public interface Request {

    String requestId();

    /** The end user's IP when known. */
    default String clientIp() {
      return null;
    }
  }

  /** Audit: events → once they are committed. */
  public static final Address<AuditMessages.Record, AuditMessages.Stored> AUDIT_RECORD =
      new Address<>("portcullis.audit.record", AuditMessages.Record.class, AuditMessages.Stored.class);

  /** Tokens: a new session for a user who just proved who they are → the token response. */
  public static final Address<TokenMessages.Issue, TokenMessages.Grant> TOKEN_ISSUE =
      new Address<>("portcullis.token.issue", TokenMessages.Issue.class, TokenMessages.Grant.class);
  /** Tokens: a new session for an identity's user, made when missing, in one statement → the token response. */
  public static final Address<TokenMessages.SignIn, TokenMessages.Grant> TOKEN_SIGN_IN =
      new Address<>("portcullis.token.sign-in", TokenMessages.SignIn.class, TokenMessages.Grant.class);
  /** Tokens: spends a refresh token → the token response with its successor. */
  public static final Address<TokenMessages.Refresh, TokenMessages.Grant> TOKEN_REFRESH =
      new Address<>("portcullis.token.refresh", TokenMessages.Refresh.class, TokenMessages.Grant.class);
  /** Tokens: revokes a refresh token's session (or every session of its user). */
  public static final Address<TokenMessages.Logout, TokenMessages.LoggedOut> TOKEN_LOGOUT =
      new Address<>("portcullis.token.logout", TokenMessages.Logout.class, TokenMessages.LoggedOut.class);
  /** Tokens: the admin API's revocations, published to every process like a logout's. */
  public static final Address<TokenMessages.Revoke, TokenMessages.Revoked> TOKEN_REVOKE =
      new Address<>("portcullis.token.revoke", TokenMessages.Revoke.class, TokenMessages.Revoked.class);
  /** Tokens: signs an OpenID Connect ID token with the app's current key. */
  public static final Address<TokenMessages.SignIdToken, TokenMessages.SignedIdToken> TOKEN_SIGN_ID_TOKEN =
      new Address<>("portcullis.token.sign-id-token", TokenMessages.SignIdToken.class,
          TokenMessages.SignedIdToken.class);
  /** Tokens: verifies an access token; with an app id, tokens of other apps are refused. */
  public static final Address<TokenMessages.Introspect, TokenMessages.Introspected> TOKEN_INTROSPECT =
      new Address<>("portcullis.token.introspect", TokenMessages.Introspect.class, TokenMessages.Introspected.class);

  /** OTP: issues and delivers a code. */
  public static final Address<OtpMessages.Send, OtpMessages.Sent> OTP_SEND =
      new Address<>("portcullis.otp.send", OtpMessages.Send.class, OtpMessages.Sent.class);
  /** OTP: consumes a code → the token response (via TOKEN_ISSUE). */
  public static final Address<OtpMessages.Verify, TokenMessages.Grant> OTP_VERIFY =
      new Address<>("portcullis.otp.verify", OtpMessages.Verify.class, TokenMessages.Grant.class);
  /** OTP: consumes a code → the user it proves, and no session (the hosted pages issue theirs later). */
  public static final Address<OtpMessages.Verify, OtpMessages.Proven> OTP_PROVE =
      new Address<>("portcullis.otp.prove", OtpMessages.Verify.class, OtpMessages.Proven.class);

  /**
   * Passwords and challenges (API.md "Passwords and anti-abuse challenges"), answered by the password
   * verticle; the HTTP side has type-checked the fields.
   */
  public static final Address<PasswordMessages.Challenge, PasswordMessages.Challenged> PASSWORD_CHALLENGE =
      new Address<>("portcullis.password.challenge", PasswordMessages.Challenge.class,
          PasswordMessages.Challenged.class);
  public static final Address<PasswordMessages.Signup, PasswordMessages.Pending> PASSWORD_SIGNUP =
      new Address<>("portcullis.password.signup", PasswordMessages.Signup.class, PasswordMessages.Pending.class);
  public static final Address<PasswordMessages.Verify, TokenMessages.Grant> PASSWORD_VERIFY =
      new Address<>("portcullis.password.verify", PasswordMessages.Verify.class, TokenMessages.Grant.class);
  public static final Address<PasswordMessages.Resend, PasswordMessages.Pending> PASSWORD_RESEND =
      new Address<>("portcullis.password.resend-verification", PasswordMessages.Resend.class,
          PasswordMessages.Pending.class);
  public static final Address<PasswordMessages.Login, TokenMessages.Grant> PASSWORD_LOGIN =
      new Address<>("portcullis.password.login", PasswordMessages.Login.class, TokenMessages.Grant.class);
  /** Passwords: a login's checks and limits → the user the password proves, and no session (hosted pages). */
  public static final Address<PasswordMessages.Login, OtpMessages.Proven> PASSWORD_PROVE =
      new Address<>("portcullis.password.prove", PasswordMessages.Login.class, OtpMessages.Proven.class);
  public static final Address<PasswordMessages.Change, TokenMessages.LoggedOut> PASSWORD_CHANGE =
      new Address<>("portcullis.password.change", PasswordMessages.Change.class, TokenMessages.LoggedOut.class);
  public static final Address<PasswordMessages.RequestReset, PasswordMessages.ResetPending> PASSWORD_RESET_REQUEST =
      new Address<>("portcullis.password.request-reset", PasswordMessages.RequestReset.class,
          PasswordMessages.ResetPending.class);
  public static final Address<PasswordMessages.Reset, TokenMessages.LoggedOut> PASSWORD_RESET =
      new Address<>("portcullis.password.reset", PasswordMessages.Reset.class, TokenMessages.LoggedOut.class);

  /**
   * Apps (published, local to one process): every verticle that caches apps or keys drops its entry for that
   * app.
   */
  public static final Address<AppMessages.Changed, Void> APP_CHANGED =
      new Address<>("portcullis.app.changed", AppMessages.Changed.class, Void.class);
  public static final Address<AppMessages.ChangesMissed, Void> APP_CHANGES_MISSED =
      new Address<>("portcullis.app.changes-missed", AppMessages.ChangesMissed.class, Void.class);
  /** Client authentication (published, local): a caller over its failure limit, refused by every HTTP verticle. */
  public static final Address<AppMessages.CallerBlocked, Void> CLIENT_BLOCKED =
      new Address<>("portcullis.client.blocked", AppMessages.CallerBlocked.class, Void.class);

  /**
   * License generations (published, local to one process): a generation replaced, and the state of the
   * subscription that relays replacements made by other processes.
   */
  public static final Address<LicenseMessages.Changed, Void> LICENSE_CHANGED =
      new Address<>("portcullis.license.changed", LicenseMessages.Changed.class, Void.class);
  public static final Address<LicenseMessages.Relay, Void> LICENSE_RELAY =
      new Address<>("portcullis.license.relay", LicenseMessages.Relay.class, Void.class);
  /** Licences of an app lost their user, who was deleted: a new generation, so no cached verify names the user. */
  public static final Address<LicenseMessages.Detached, Void> LICENSES_DETACHED =
      new Address<>("portcullis.license.detached", LicenseMessages.Detached.class, Void.class);

  /** The send timeout under the default backend timeout, and the least under any. */
  private static final long MIN_SEND_TIMEOUT_MS = 10_000;
  /**
   * Backend timeouts a reply may take, as many as the defaults always allowed: a transaction's two
   * ({@link Postgres#inTransaction}) and the bounded steps before and after it (the app's load, a Redis check, the
   * audit). A request answered 503 by the bus would hide the outcome of work that still commits behind it.
   */
  private static final int BACKEND_TIMEOUTS_PER_REPLY = 5;

  private static final Set<EventBus> WITH_CODEC = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  private final Vertx vertx;
  private final DeliveryOptions options;

  public Bus(Vertx vertx, GatewayConfig config) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(sendTimeoutMs(config));
    install(vertx);
  }

  /** How long a request waits for its reply, derived from {@code PORTCULLIS_BACKEND_TIMEOUT_MS}. */
  public static long sendTimeoutMs(GatewayConfig config) {
    return Math.max(MIN_SEND_TIMEOUT_MS, BACKEND_TIMEOUTS_PER_REPLY * config.backendTimeoutMs());
  }

  /** Sends a request and maps a failed reply back to the ApiException the service raised. */
  public <Q, P> Future<P> request(Address<Q, P> address, Q body) {
    return vertx.eventBus()
        .<P>request(address.name(), body, options)
        .map(Message::body)
        .recover(failure -> Future.failedFuture(Failures.toApi(failure)));
  }

  /** Publishes to every consumer of this process. */
  public static <Q> void publish(Vertx vertx, Address<Q, Void> address, Q body) {
    install(vertx);
    vertx.eventBus().publish(address.name(), body);
  }

  /** Registers a service: its handler's failures are replied with the error contract, bugs are logged once. */
  public static <Q, P> MessageConsumer<Q> serve(Vertx vertx, Address<Q, P> address, Function<Q, Future<P>> handler) {
    install(vertx);
    return vertx.eventBus().<Q>consumer(address.name(), message -> {
      if (message.body() instanceof Request request) {
        RequestContext.bind(request.requestId());
      }
      Future<P> result;
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
          if (message.body() instanceof Request request) {
            RequestContext.bind(request.requestId());
          }
          LOG.error("{} failed for request {}", address.name(),
              message.body() instanceof Request request ? request.requestId() : null, done.cause());
          failure.markLogged();
        }
        message.fail(failure.code().status(), failure.toWire().encode());
      });
    });
  }

  /** Consumes what is published to an address within this process. */
  public static <Q> MessageConsumer<Q> listen(Vertx vertx, Address<Q, Void> address, Consumer<Q> handler) {
    install(vertx);
    return vertx.eventBus().<Q>localConsumer(address.name(), message -> handler.accept(message.body()));
  }

  /** Registers the record codec once per Vert.x: every record sent on the bus goes by reference. */
  private static void install(Vertx vertx) {
    EventBus eventBus = vertx.eventBus();
    if (WITH_CODEC.add(eventBus)) {
      eventBus.registerCodec(new LocalRecordCodec());
      eventBus.codecSelector(body -> body instanceof Record ? LocalRecordCodec.NAME : null);
    }
  }
}
