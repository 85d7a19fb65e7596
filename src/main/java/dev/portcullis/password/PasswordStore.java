package dev.portcullis.password;

import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import java.util.List;
import java.util.UUID;

/**
 * The Redis side of passwords: challenge tokens, failure counters and lock-outs, pending signups. What must be
 * atomic is one script. Identities and networks appear in keys only as the OTP package's keyed names, never in
 * clear, and every key of an app carries the app id as its hash tag ({@code {app}}), so each script touches
 * one hash slot (Redis Cluster).
 */
public final class PasswordStore {

  /** The window failures are counted in (API.md: "within 15 minutes"). */
  static final long FAILURE_WINDOW_MS = 15 * 60_000L;
  /** App-wide failures and per-network challenge volume are counted per minute. */
  static final long VOLUME_WINDOW_MS = 60_000L;
  static final long FIRST_LOCKOUT_MS = 60_000L;
  static final long LONGEST_LOCKOUT_MS = 86_400_000L;
  /** An identity's counters are forgotten after a quiet day (the consecutive count included). */
  static final long STATE_TTL_MS = 86_400_000L;
  private static final String NO_NETWORK = "none";

  private static final RedisScript ISSUE = RedisScript.load("password-challenge-issue.lua");
  private static final RedisScript STORE = RedisScript.load("password-challenge-store.lua");
  private static final RedisScript CONSUME = RedisScript.load("password-challenge-consume.lua");
  private static final RedisScript AHEAD = RedisScript.load("password-checks-ahead.lua");
  private static final RedisScript GATE = RedisScript.load("password-login-gate.lua");
  private static final RedisScript FAILURE = RedisScript.load("password-login-failure.lua");
  private static final RedisScript SETTLE = RedisScript.load("password-login-settle.lua");
  private static final RedisScript RESERVE_CHANGE = RedisScript.load("password-change-reserve.lua");
  private static final RedisScript SETTLE_CHANGE = RedisScript.load("password-change-settle.lua");
  /** An attempt the gate reserved counts as in flight at most this long (a hash takes at most 30 s). */
  static final long IN_FLIGHT_MS = 60_000L;
  /**
   * A spent login's check counts as in flight for its identity at most this long: a check left behind (its process
   * stopped, its removal lost) holds the identity's later logins waiting until then, so shorter than a reservation,
   * still well beyond a queued hash.
   */
  static final long CHECK_LAPSE_MS = 10_000L;
  private static final RedisScript TAKE_SIGNUP = RedisScript.load("password-signup-take.lua");
  private static final RedisScript PUT_SIGNUP = RedisScript.load("password-signup-put.lua");
  private static final RedisScript REBIND_SIGNUP = RedisScript.load("password-signup-rebind.lua");

  /** Whether a login may be tried: {@code reason} null when it may, else "locked", "network" or "busy". */
  public record Gate(String refusedFor, long retryAfterMs) {

    public boolean open() {
      return refusedFor == null;
    }
  }

  /** A counted failure: how long this one locked the identity out from its network (0: not), and the streak. */
  public record Failure(long lockedMs, long consecutive) {
  }

  private final RedisStore redis;

  public PasswordStore(RedisStore redis) {
    this.redis = redis;
  }

  /**
   * A new challenge's first step: the counts its difficulty comes from (the challenge counted in its network's
   * volume) and, when they call for no work at the app's highest difficulty {@code maxDifficulty}, the challenge
   * stored at difficulty 0. Else the caller stores it ({@link #storeChallenge}) with the difficulty it computes.
   */
  public Future<Counted> countChallenge(UUID appId, String identityName, String networkName, String tokenHash,
                                        String purpose, int maxDifficulty, long ttlMs) {
    List<String> keys = List.of(identityKey(appId, identityName), networkKey(appId, networkName), appKey(appId),
        redis.key("pw-volume", tag(appId), network(networkName)), challengeKey(appId, tokenHash));
    List<String> args = List.of(networkName == null ? "0" : "1", Long.toString(VOLUME_WINDOW_MS), purpose,
        identityName, Long.toString(ttlMs), Integer.toString(maxDifficulty),
        Integer.toString(Difficulty.CONSECUTIVE_CEILING), Integer.toString(Difficulty.APP_FAILURES_PER_STEP));
    return ISSUE.run(redis, keys, args).map(reply -> new Counted(new Difficulty(reply.get(0).toLong(),
        reply.get(1).toLong(), reply.get(2).toLong(), reply.get(3).toLong(), reply.get(4).toLong()),
        reply.get(5).toInteger() == 1));
  }

  /** What a new challenge's difficulty comes from, and whether the challenge is stored already (at difficulty 0). */
  public record Counted(Difficulty inputs, boolean storedFree) {
  }

  public Future<Void> storeChallenge(UUID appId, String tokenHash, String purpose, String identityName, int difficulty,
                                     long ttlMs) {
    return STORE.run(redis, List.of(challengeKey(appId, tokenHash)),
            List.of(purpose, identityName, Integer.toString(difficulty), Long.toString(ttlMs)))
        .mapEmpty();
  }

  /**
   * A spent challenge: the difficulty it was issued at, the failure counts the difficulty would come from now, and
   * for a login's check the identity's checks ahead of it and its score (their order, see {@link #checksAhead}).
   */
  public record Spent(int issuedDifficulty, Difficulty failuresNow, long checksAhead, long score) {
  }

  /** The identity's checks still ahead of a waiting one, and the failure counts they have left so far. */
  public record Ahead(long checks, Difficulty failuresNow) {
  }

  /**
   * Spends a challenge; what it carries when it was live and bound to this purpose and identity, else null. A spend
   * that {@code startsCheck} (a login's) is a password check in flight for the identity, named by the token's hash,
   * until the attempt fails or settles ({@link #failure}, {@link #settle}, {@link #released}), and is answered with
   * the identity's checks ahead of it.
   */
  public Future<Spent> consumeChallenge(UUID appId, String tokenHash, String purpose, String identityName,
                                        String networkName, boolean startsCheck) {
    List<String> keys = List.of(challengeKey(appId, tokenHash), identityKey(appId, identityName),
        networkKey(appId, networkName), appKey(appId), checksKey(appId, identityName));
    return CONSUME.run(redis, keys, List.of(purpose, identityName, networkName == null ? "0" : "1",
            startsCheck ? tokenHash : "", Long.toString(CHECK_LAPSE_MS)))
        .map(reply -> !"ok".equals(reply.get(0).toString()) ? null : new Spent(reply.get(1).toInteger(),
            new Difficulty(reply.get(2).toLong(), reply.get(3).toLong(), reply.get(4).toLong(), reply.get(5).toLong(),
                0), reply.get(6).toLong(), reply.get(7).toLong()));
  }

  /** For a login's check spent with checks ahead ({@link #consumeChallenge}): those still ahead, and the failures. */
  public Future<Ahead> checksAhead(UUID appId, String identityName, String networkName, long score) {
    List<String> keys = List.of(identityKey(appId, identityName), networkKey(appId, networkName), appKey(appId),
        checksKey(appId, identityName));
    return AHEAD.run(redis, keys, List.of(Long.toString(score), networkName == null ? "0" : "1"))
        .map(reply -> new Ahead(reply.get(0).toLong(), new Difficulty(reply.get(1).toLong(), reply.get(2).toLong(),
            reply.get(3).toLong(), reply.get(4).toLong(), 0)));
  }

  /**
   * Whether a password may be checked now; when it may, the attempt is reserved until it fails or settles. An attempt
   * that is not {@code refusable} (bounded elsewhere) is only reserved.
   */
  public Future<Gate> gate(UUID appId, String identityName, String networkName, int maxFailures, int networkLimit,
                           boolean refusable) {
    List<String> keys = List.of(identityKey(appId, identityName), networkKey(appId, networkName),
        inFlightKey(appId, networkName));
    List<String> args = List.of(network(networkName), Integer.toString(networkName == null ? 0 : networkLimit),
        Integer.toString(maxFailures), Long.toString(IN_FLIGHT_MS), refusable ? "1" : "0");
    return GATE.run(redis, keys, args).map(reply -> "ok".equals(reply.get(0).toString())
        ? new Gate(null, 0)
        : new Gate(reply.get(0).toString(), reply.get(1).toLong()));
  }

  /** {@code challenge}: the hash of the challenge the attempt spent, or null. */
  public Future<Failure> failure(UUID appId, String identityName, String networkName, int maxFailures,
                                 String challenge) {
    List<String> keys = List.of(identityKey(appId, identityName), networkKey(appId, networkName), appKey(appId),
        inFlightKey(appId, networkName), checksKey(appId, identityName));
    List<String> args = List.of(network(networkName), Integer.toString(maxFailures), Long.toString(FAILURE_WINDOW_MS),
        Long.toString(FIRST_LOCKOUT_MS), Long.toString(LONGEST_LOCKOUT_MS), networkName == null ? "0" : "1",
        Long.toString(STATE_TTL_MS), Long.toString(VOLUME_WINDOW_MS), challenge == null ? "" : challenge);
    return FAILURE.run(redis, keys, args).map(reply -> new Failure(reply.get(0).toLong(), reply.get(1).toLong()));
  }

  /**
   * Ends a reserved attempt that is no failure: a correct password ({@code right}), which also clears this identity's
   * counters from this network and its streak, nothing else; or one that could not be checked. {@code challenge}:
   * the hash of the challenge the attempt spent, or null.
   */
  public Future<Void> settle(UUID appId, String identityName, String networkName, boolean right, String challenge) {
    return SETTLE.run(redis, List.of(identityKey(appId, identityName), inFlightKey(appId, networkName),
            checksKey(appId, identityName)),
        List.of(network(networkName), right ? "1" : "0", challenge == null ? "" : challenge)).mapEmpty();
  }

  /** Ends the in-flight count of a login's spent challenge whose attempt checks no password after all. */
  public Future<Void> released(UUID appId, String identityName, String challenge) {
    return redis.send(Command.ZREM, checksKey(appId, identityName), challenge).mapEmpty();
  }

  /**
   * Reserves the check of a current password at a password change, for the session and its user
   * (password-change-reserve.lua): a {@link Gate} open when reserved, else refused for {@code spent} (the session's
   * allowance), {@code ceiling} (the user's wrong ones in a row) or {@code busy} (checks in flight).
   */
  public Future<Gate> reserveChange(UUID appId, UUID sessionId, UUID userId, String reservation,
                                   ChangeLimits limits) {
    return RESERVE_CHANGE.run(redis, changeKeys(appId, sessionId, userId), List.of(
            Integer.toString(limits.perSession()), Long.toString(limits.sessionWindowMs()),
            Integer.toString(limits.perUser()), Long.toString(limits.userWindowMs()), reservation,
            Long.toString(IN_FLIGHT_MS)))
        .map(reply -> "ok".equals(reply.get(0).toString())
            ? new Gate(null, 0)
            : new Gate(reply.get(0).toString(), reply.get(1).toLong()));
  }

  /** Ends a check of {@link #reserveChange}: counted when the password was {@code wrong}, else given back. */
  public Future<Void> settleChange(UUID appId, UUID sessionId, UUID userId, String reservation, boolean wrong,
                                   ChangeLimits limits) {
    return SETTLE_CHANGE.run(redis, changeKeys(appId, sessionId, userId), List.of(wrong ? "1" : "0",
        Long.toString(limits.sessionWindowMs()), Long.toString(limits.userWindowMs()), reservation)).mapEmpty();
  }

  /** A right current password: the session's and the user's counts of wrong ones are forgotten. */
  public Future<Void> clearChange(UUID appId, UUID sessionId, UUID userId) {
    List<String> keys = changeKeys(appId, sessionId, userId);
    return redis.send(Command.DEL, keys.get(0), keys.get(1)).mapEmpty();
  }

  /** The wrong current passwords a password change may be sent with, and how long they are counted. */
  public record ChangeLimits(int perSession, long sessionWindowMs, int perUser, long userWindowMs) {
  }

  /**
   * A completed reset: every counter and lock-out of the identity, from every network, is cleared, and the user's
   * wrong current passwords at password changes.
   */
  public Future<Void> clearIdentity(UUID appId, String identityName, UUID userId) {
    return redis.send(Command.DEL, identityKey(appId, identityName), userChangeKey(appId, userId)).mapEmpty();
  }

  /** Keeps a signup until its code is verified; a second signup of the identity replaces the first. */
  /** Keeps the signup pending; one that replaces another is marked contested (see password-signup-put.lua). */
  public Future<Void> putPendingSignup(UUID appId, String identityName, JsonObject pending, long ttlMs) {
    return PUT_SIGNUP.run(redis, List.of(pendingKey(appId, identityName)),
        List.of(pending.encode(), Long.toString(ttlMs))).mapEmpty();
  }

  /** Whose an identity's pending signup is: its verification id, and whether a later signup replaced another. */
  public record PendingOwner(String verificationId, boolean contested) {
  }

  /** The identity's pending signup's owner, or null when it has none. */
  public Future<PendingOwner> pendingSignupOf(UUID appId, String identityName) {
    return redis.send(Command.GET, pendingKey(appId, identityName)).map(reply -> {
      if (reply == null) {
        return null;
      }
      JsonObject pending = new JsonObject(reply.toString());
      return new PendingOwner(pending.getString("verification_id"), pending.getBoolean("contested", true));
    });
  }

  /**
   * A resent code takes over the identity's pending signup, which now lives as long as that code: any pending
   * signup for a resend by identity ({@code resent} null), only that verification's for a resend of {@code resent}.
   */
  public Future<Void> rebindPendingSignup(UUID appId, String identityName, String verificationId, long ttlMs,
                                          String resent) {
    return REBIND_SIGNUP.run(redis, List.of(pendingKey(appId, identityName)),
        List.of(verificationId, Long.toString(ttlMs), resent == null ? "" : resent)).mapEmpty();
  }

  /** The identity's pending signup of this verification, removed; null when there is none for it. */
  public Future<JsonObject> takePendingSignup(UUID appId, String identityName, String verificationId) {
    return TAKE_SIGNUP.run(redis, List.of(pendingKey(appId, identityName)), List.of(verificationId))
        .map(reply -> reply == null ? null : new JsonObject(reply.toString()));
  }

  private String identityKey(UUID appId, String identityName) {
    return redis.key("pw-id", tag(appId), identityName);
  }

  private String checksKey(UUID appId, String identityName) {
    return redis.key("pw-id-checks", tag(appId), identityName);
  }

  private List<String> changeKeys(UUID appId, UUID sessionId, UUID userId) {
    return List.of(redis.key("pw-change", tag(appId), sessionId.toString()), userChangeKey(appId, userId));
  }

  private String userChangeKey(UUID appId, UUID userId) {
    return redis.key("pw-change-user", tag(appId), userId.toString());
  }

  private String networkKey(UUID appId, String networkName) {
    return redis.key("pw-net", tag(appId), network(networkName));
  }

  private String inFlightKey(UUID appId, String networkName) {
    return redis.key("pw-net-flight", tag(appId), network(networkName));
  }

  private String appKey(UUID appId) {
    return redis.key("pw-app", tag(appId));
  }

  private String challengeKey(UUID appId, String tokenHash) {
    return redis.key("pw-challenge", tag(appId), tokenHash);
  }

  private String pendingKey(UUID appId, String identityName) {
    return redis.key("pw-signup", tag(appId), identityName);
  }

  private static String network(String networkName) {
    return networkName == null ? NO_NETWORK : networkName;
  }

  private static String tag(UUID appId) {
    return "{" + appId + "}";
  }
}
