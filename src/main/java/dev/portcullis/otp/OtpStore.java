package dev.portcullis.otp;

import dev.portcullis.app.App;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The Redis side of OTP: pending requests, rate limits and lockouts, changed only by two atomic scripts.
 *
 * <p>Every key of an app carries the app id as a hash tag ({@code {app}}), so both scripts touch one hash slot
 * and run unchanged on Redis Cluster. Each script is handed every key it touches, as Redis requires: a Cluster node
 * checks the declared keys only, and while the app's slot migrates it runs a script only where all of them are
 * (else TRYAGAIN, a 503); a key named inside the script would be silently absent on the importing node, and with it
 * the identity's lockout. The keys that depend on stored state (the request's identity and network at a verify, the
 * code a send replaces) are read first; the script checks they still hold and answers {@code stale} otherwise,
 * having written nothing, and the call is made again. The decision itself stays one script, so it is as atomic as
 * before: the read only names keys, and a name that went stale is caught inside the script.
 */
public final class OtpStore {

  /** Hourly limits count sends in a window of 60 one-minute buckets. */
  static final long WINDOW_MS = 3_600_000;
  static final long BUCKET_MS = 60_000;
  /** Consecutive failed verifications of one identity that lock it out of sends and verifications. */
  static final int LOCKOUT_AFTER_FAILURES = 10;
  static final long FIRST_LOCKOUT_MS = 60_000;
  static final long LONGEST_LOCKOUT_MS = 86_400_000;
  /** Failures and lockouts of an identity are forgotten after a quiet day. */
  static final long STATE_TTL_MS = 86_400_000;
  /** Pending codes one identity may have across client networks. */
  static final int PENDING_PER_IDENTITY = 3;
  /**
   * Wrong codes per hour one identity may collect across networks, in units of the app's otp_max_attempts (of a
   * code's own request, at verification); beyond, networks that never signed it in neither send nor verify.
   */
  static final int WRONG_CODES_PER_IDENTITY_IN_ATTEMPTS = 3;
  /** How long a network that signed an identity in stays open to it beyond the identity's ceilings. */
  static final long SIGNED_IN_NETWORK_TTL_MS = 30L * 86_400_000;
  /**
   * The networks that signed an identity in, each with its last sign-in (a sorted set, the 50 newest of the last
   * 30 days). It replaces a set ("otp-signed-in", still read until its keys expire) that kept every network while
   * the identity signed in anywhere once a month, and grew with each one.
   */
  static final String SIGNED_IN_AT = "otp-signed-in-at";
  /** The network name of requests without a client IP: they share one bucket per app. */
  public static final String NO_NETWORK = "none";
  /**
   * Reads and script runs one call makes at most when concurrent sends keep changing what it read: each round one
   * of them wins, so a burst of this many sends to one identity and network all get through.
   */
  static final int STALE_ATTEMPTS = 16;

  private static final RedisScript SEND = RedisScript.load("otp-send.lua");
  private static final RedisScript VERIFY = RedisScript.load("otp-verify.lua");
  private static final RedisScript SIGNED_IN = RedisScript.load("otp-signed-in.lua");

  /** Why a send is refused when the anonymous sends' share of the app's hourly limit is spent. */
  static final String APP_ANONYMOUS_HOURLY = "app_anonymous_hourly";
  /**
   * Why a send is refused when the identity was sent {@code untrustedIdentityLimit} codes (or signup notices) in the
   * last hour by networks that never signed it in, across all of them.
   */
  static final String IDENTITY_UNTRUSTED_HOURLY = "identity_untrusted_hourly";

  /**
   * What a send asks for. {@code networkName} is {@link #NO_NETWORK} when the client backend gave no client IP;
   * {@code smsLimit} and {@code smsCountryLimit} are 0 for an email; {@code anonymous}: asked for by anyone, not by
   * the app's backend (a hosted page; the console), so it spends only the anonymous share of the app's limit
   * ({@link #anonymousShare}; on the console, not from a network that signed the identity in) and of the operator's
   * ceilings. {@code untrustedIdentityLimit}: the sends an hour the identity's mailbox ({@code mailboxName}) may get
   * from networks that never signed the identity in, all of them together ({@link #IDENTITY_UNTRUSTED_HOURLY}); a
   * network that did is not limited by it.
   */
  public record SendRequest(UUID appId, String requestId, Identity identity, String identityName, String codeMac,
                            int maxAttempts, int ttlSeconds, int cooldownSeconds, int identityLimit,
                            String networkName, int networkLimit, int appLimit, int smsLimit, int smsCountryLimit,
                            UUID ownerId, int ownerSmsLimit, int gatewaySmsLimit, boolean anonymous,
                            int untrustedIdentityLimit, String mailboxName) {
  }

  /** An accepted send, or a refusal with its reason and how long to wait. */
  public record SendOutcome(String refusedFor, long retryAfterMs) {

    public boolean accepted() {
      return refusedFor == null;
    }
  }

  public enum Verdict { EXPIRED, BURNED, LOCKED, VERIFIED, INVALID }

  /**
   * {@code identity} is set when VERIFIED or INVALID; {@code attemptsLeft} and {@code lockedMs} when INVALID;
   * {@code lockedFor} when LOCKED: {@code lockout} (too many failures on a network) or {@code identity_failures}
   * (the identity's hourly ceiling of wrong codes, for networks that never signed it in).
   */
  public record VerifyOutcome(Verdict verdict, Identity identity, int attemptsLeft, long retryAfterMs, long lockedMs,
                              String lockedFor) {
  }

  private static final VerifyOutcome EXPIRED_OUTCOME = new VerifyOutcome(Verdict.EXPIRED, null, 0, 0, 0, null);

  private final RedisStore redis;
  private final OperatorSmsBudget operatorBudget;

  public OtpStore(RedisStore redis) {
    this.redis = redis;
    this.operatorBudget = new OperatorSmsBudget(redis);
  }

  /**
   * Counts a send under every limit and stores its code, or refuses it. While an operator's SMS ceiling is spent, a
   * send is refused before anything else is counted; otherwise the ceilings take their place last, once the app's
   * own limits took the send: reserved first, sends the app's limits then refused held places meanwhile, and a burst
   * of them refused other apps' SMS in the owner's name. Only a send that meets a ceiling filled between the two
   * steps has spent its place in the app's budgets and replaced the identity's pending code without a code going
   * out.
   */
  public Future<SendOutcome> send(SendRequest send) {
    return operatorBudget.spent(send.ownerId(), send.appId(), send.ownerSmsLimit(), send.gatewaySmsLimit(),
            send.anonymous())
        .compose(spent -> spent.refused()
            ? Future.succeededFuture(new SendOutcome(spent.refusedFor(), spent.retryAfterMs()))
            : send(send, 1).compose(outcome -> !outcome.accepted() ? Future.succeededFuture(outcome)
                : operatorBudget.reserve(send.ownerId(), send.appId(), send.ownerSmsLimit(),
                        send.gatewaySmsLimit(), send.anonymous())
                    .map(reservation -> reservation.refused()
                        ? new SendOutcome(reservation.refusedFor(), reservation.retryAfterMs()) : outcome)));
  }

  private Future<SendOutcome> send(SendRequest send, int attempt) {
    String state = redis.key("otp-id", tag(send.appId()), send.identityName(), send.networkName());
    return redis.send(Command.HGET, state, "current")
        .compose(current -> SEND.run(redis, sendKeys(send, state, current), sendArgs(send, current)))
        .compose(reply -> isStale(reply)
            ? again(attempt, () -> send(send, attempt + 1))
            : Future.succeededFuture(sendOutcome(reply)));
  }

  /** The keys of otp-send.lua; {@code current}: the request the identity's state named when read, or null. */
  private List<String> sendKeys(SendRequest send, String state, Response current) {
    String tag = tag(send.appId());
    String country = send.identity().kind() == Identity.Kind.PHONE ? send.identity().country() : "-";
    String request = requestKey(send.appId(), send.requestId());
    return List.of(
        state,
        // Per mailbox and network: one network's +tags (or Gmail's dots) share what it may send to one inbox (h41).
        redis.key("otp-rate", tag, "id", send.mailboxName(), send.networkName()),
        redis.key("otp-rate", tag, "ip", send.networkName()),
        redis.key("otp-rate", tag, "app"),
        request,
        redis.key("otp-pending", tag, send.identityName()),
        redis.key("otp-wrong", tag, send.identityName()),
        redis.key("otp-signed-in", tag, send.identityName()),
        redis.key("otp-rate", tag, "sms"),
        redis.key("otp-rate", tag, "sms", country),
        current == null ? request : requestKey(send.appId(), current.toString()),
        redis.key(SIGNED_IN_AT, tag, send.identityName()),
        redis.key("otp-rate", tag, "app-anon"),
        // Per mailbox: a+1@x, a+2@x (and at Gmail a.b@, ab@) land in one inbox (h36).
        redis.key("otp-rate", tag, "id-untrusted", send.mailboxName()));
  }

  /**
   * How many of the app's hourly sends anonymous ones may be: half, rounded down (a limit of 1 leaves them none). The
   * hosted pages and the console's sign-in are open to anyone, and strangers with many networks otherwise spent the
   * whole limit: the app's backend (on the console, every owner) then got 429 for the hour. They count on the app's
   * counter too, so the backend's sends keep the whole limit and the strangers' never take more than half of it.
   */
  static int anonymousShare(int appLimit) {
    return appLimit / 2;
  }

  private static List<String> sendArgs(SendRequest send, Response current) {
    return List.of(
        current == null ? "" : current.toString(),
        send.requestId(),
        send.identity().qualified(),
        send.identityName(),
        send.codeMac(),
        Integer.toString(send.maxAttempts()),
        Long.toString(send.ttlSeconds() * 1000L),
        Long.toString(send.cooldownSeconds() * 1000L),
        Integer.toString(send.identityLimit()),
        Integer.toString(send.networkLimit()),
        Integer.toString(send.appLimit()),
        Long.toString(WINDOW_MS),
        Long.toString(BUCKET_MS),
        Long.toString(STATE_TTL_MS),
        send.networkName(),
        Integer.toString(PENDING_PER_IDENTITY),
        Integer.toString(WRONG_CODES_PER_IDENTITY_IN_ATTEMPTS * send.maxAttempts()),
        Integer.toString(send.smsLimit()),
        Integer.toString(send.smsCountryLimit()),
        Long.toString(SIGNED_IN_NETWORK_TTL_MS),
        Integer.toString(send.anonymous() ? anonymousShare(send.appLimit()) : -1),
        // The console has no backend: its owners at networks they signed in from keep the other half.
        App.CONSOLE_ID.equals(send.appId()) ? "1" : "0",
        Integer.toString(send.untrustedIdentityLimit()));
  }

  /** {@code networkName}: the verifying request's network as {@link OtpCodes#networkName} names it, or null. */
  public Future<VerifyOutcome> verify(UUID appId, String requestId, String codeMac, String networkName) {
    return verify(appId, requestId, codeMac, networkName, false, 1);
  }

  /**
   * As {@link #verify}, but a right code is left unspent (answered VERIFIED: it would verify); a wrong one is counted
   * and refused as there. For work that must be done before the code is spent and may fail (a password's hash).
   */
  public Future<VerifyOutcome> check(UUID appId, String requestId, String codeMac, String networkName) {
    return verify(appId, requestId, codeMac, networkName, true, 1);
  }

  private Future<VerifyOutcome> verify(UUID appId, String requestId, String codeMac, String networkName,
                                       boolean checkOnly, int attempt) {
    String request = requestKey(appId, requestId);
    return redis.send(Command.HMGET, request, "name", "net").compose(fields -> {
      if (fields.get(0) == null) {
        // what the script answers too when the request is gone
        return Future.succeededFuture(EXPIRED_OUTCOME);
      }
      String name = fields.get(0).toString();
      String network = fields.get(1) == null ? NO_NETWORK : fields.get(1).toString();
      String verifying = networkName == null ? "" : networkName;
      return VERIFY.run(redis, verifyKeys(appId, request, name, network, verifying),
              verifyArgs(requestId, codeMac, verifying, name, network, checkOnly))
          .compose(reply -> isStale(reply)
              ? again(attempt, () -> verify(appId, requestId, codeMac, networkName, checkOnly, attempt + 1))
              : Future.succeededFuture(verifyOutcome(reply)));
    });
  }

  /**
   * A network ({@link OtpCodes#networkName}) signed the identity in without a code (an admitted password sign-in):
   * it stays open to the identity beyond its ceilings across networks, as after a verified code, so strangers who
   * spend those ceilings do not keep a password user from its reset and verification codes where it signs in (h36).
   */
  public Future<Void> signedIn(UUID appId, String identityName, String networkName) {
    return SIGNED_IN.run(redis, List.of(redis.key(SIGNED_IN_AT, tag(appId), identityName)),
        List.of(networkName, Long.toString(SIGNED_IN_NETWORK_TTL_MS))).mapEmpty();
  }

  /** The keys of otp-verify.lua, named from the request's identity name and network. */
  private List<String> verifyKeys(UUID appId, String request, String name, String network, String verifying) {
    String tag = tag(appId);
    String state = redis.key("otp-id", tag, name, network);
    return List.of(
        request,
        state,
        verifying.isEmpty() || verifying.equals(network) ? state : redis.key("otp-id", tag, name, verifying),
        redis.key("otp-pending", tag, name),
        redis.key("otp-wrong", tag, name),
        redis.key("otp-signed-in", tag, name),
        redis.key(SIGNED_IN_AT, tag, name));
  }

  private static List<String> verifyArgs(String requestId, String codeMac, String verifying, String name,
                                         String network, boolean checkOnly) {
    return List.of(
        codeMac,
        requestId,
        Integer.toString(LOCKOUT_AFTER_FAILURES),
        Long.toString(FIRST_LOCKOUT_MS),
        Long.toString(LONGEST_LOCKOUT_MS),
        Long.toString(STATE_TTL_MS),
        Long.toString(WINDOW_MS),
        Long.toString(BUCKET_MS),
        Long.toString(SIGNED_IN_NETWORK_TTL_MS),
        verifying,
        Integer.toString(WRONG_CODES_PER_IDENTITY_IN_ATTEMPTS),
        name,
        network,
        checkOnly ? "check" : "spend");
  }

  private static boolean isStale(Response reply) {
    return "stale".equals(reply.get(0).toString());
  }

  /**
   * One more read and run after a stale one; once {@link #STALE_ATTEMPTS} went stale, {@code 429}: a burst of sends
   * to one identity from one network kept replacing each other's codes (Redis is fine, the client is hurried).
   */
  private static <T> Future<T> again(int attempt, Supplier<Future<T>> call) {
    return attempt < STALE_ATTEMPTS ? call.get() : Future.failedFuture(ApiException.rateLimited(ErrorCode.RATE_LIMITED,
        "too many codes are being sent to this identity at once; retry in 1 s", 1));
  }

  /** The identity a live request was sent to, or null when it is unknown, expired or used. */
  public Future<Identity> pendingIdentity(UUID appId, String requestId) {
    return redis.send(Command.HGET, requestKey(appId, requestId), "identity")
        .map(reply -> reply == null ? null : Identity.fromQualified(reply.toString()));
  }

  private String requestKey(UUID appId, String requestId) {
    return redis.key("otp", tag(appId), requestId);
  }

  private static String tag(UUID appId) {
    return "{" + appId + "}";
  }

  private static SendOutcome sendOutcome(Response reply) {
    return "ok".equals(reply.get(0).toString())
        ? new SendOutcome(null, 0)
        : new SendOutcome(reply.get(1).toString(), reply.get(2).toLong());
  }

  private static VerifyOutcome verifyOutcome(Response reply) {
    Verdict verdict = Verdict.valueOf(reply.get(0).toString().toUpperCase(java.util.Locale.ROOT));
    return switch (verdict) {
      case EXPIRED -> EXPIRED_OUTCOME;
      case BURNED -> new VerifyOutcome(verdict, null, 0, reply.get(1).toLong(), 0, null);
      case LOCKED -> new VerifyOutcome(verdict, null, 0, reply.get(1).toLong(), 0, reply.get(2).toString());
      case VERIFIED -> new VerifyOutcome(verdict, Identity.fromQualified(reply.get(1).toString()), 0, 0, 0, null);
      case INVALID -> new VerifyOutcome(verdict, Identity.fromQualified(reply.get(3).toString()), reply.get(1).toInteger(), 0,
          reply.get(2).toLong(), null);
    };
  }
}
