package dev.portcullis.otp;

import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.UUID;

/**
 * The Redis side of OTP: pending requests, rate limits and lockouts, changed only by two atomic scripts.
 *
 * <p>Every key of an app carries the app id as a hash tag ({@code {app}}), so both scripts touch one hash slot
 * and run unchanged on Redis Cluster.
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
  /** The network name of requests without a client IP: they share one bucket per app. */
  public static final String NO_NETWORK = "none";

  private static final RedisScript SEND = RedisScript.load("otp-send.lua");
  private static final RedisScript VERIFY = RedisScript.load("otp-verify.lua");

  /**
   * What a send asks for. {@code networkName} is {@link #NO_NETWORK} when the client backend gave no client IP;
   * {@code smsLimit} and {@code smsCountryLimit} are 0 for an email.
   */
  public record SendRequest(UUID appId, String requestId, Identity identity, String identityName, String codeMac,
                            int maxAttempts, int ttlSeconds, int cooldownSeconds, int identityLimit,
                            String networkName, int networkLimit, int appLimit, int smsLimit, int smsCountryLimit) {
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

  private final RedisStore redis;

  public OtpStore(RedisStore redis) {
    this.redis = redis;
  }

  public Future<SendOutcome> send(SendRequest send) {
    String tag = tag(send.appId());
    String country = send.identity().kind() == Identity.Kind.PHONE ? send.identity().country() : "-";
    List<String> keys = List.of(
        redis.key("otp-id", tag, send.identityName(), send.networkName()),
        redis.key("otp-rate", tag, "id", send.identityName(), send.networkName()),
        redis.key("otp-rate", tag, "ip", send.networkName()),
        redis.key("otp-rate", tag, "app"),
        requestKey(send.appId(), send.requestId()),
        redis.key("otp-pending", tag, send.identityName()),
        redis.key("otp-wrong", tag, send.identityName()),
        redis.key("otp-signed-in", tag, send.identityName()),
        redis.key("otp-rate", tag, "sms"),
        redis.key("otp-rate", tag, "sms", country));
    List<String> args = List.of(
        redis.key("otp", tag, ""),
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
        Integer.toString(send.smsCountryLimit()));
    return SEND.run(redis, keys, args).map(OtpStore::sendOutcome);
  }

  /** {@code networkName}: the verifying request's network as {@link OtpCodes#networkName} names it, or null. */
  public Future<VerifyOutcome> verify(UUID appId, String requestId, String codeMac, String networkName) {
    String tag = tag(appId);
    List<String> args = List.of(
        redis.key("otp-id", tag, ""),
        codeMac,
        requestId,
        Integer.toString(LOCKOUT_AFTER_FAILURES),
        Long.toString(FIRST_LOCKOUT_MS),
        Long.toString(LONGEST_LOCKOUT_MS),
        Long.toString(STATE_TTL_MS),
        redis.key("otp-pending", tag, ""),
        redis.key("otp-wrong", tag, ""),
        redis.key("otp-signed-in", tag, ""),
        Long.toString(WINDOW_MS),
        Long.toString(BUCKET_MS),
        Long.toString(SIGNED_IN_NETWORK_TTL_MS),
        networkName == null ? "" : networkName,
        Integer.toString(WRONG_CODES_PER_IDENTITY_IN_ATTEMPTS));
    return VERIFY.run(redis, List.of(requestKey(appId, requestId)), args).map(OtpStore::verifyOutcome);
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
      case EXPIRED -> new VerifyOutcome(verdict, null, 0, 0, 0, null);
      case BURNED -> new VerifyOutcome(verdict, null, 0, reply.get(1).toLong(), 0, null);
      case LOCKED -> new VerifyOutcome(verdict, null, 0, reply.get(1).toLong(), 0, reply.get(2).toString());
      case VERIFIED -> new VerifyOutcome(verdict, Identity.fromQualified(reply.get(1).toString()), 0, 0, 0, null);
      case INVALID -> new VerifyOutcome(verdict, Identity.fromQualified(reply.get(3).toString()), reply.get(1).toInteger(), 0,
          reply.get(2).toLong(), null);
    };
  }
}
