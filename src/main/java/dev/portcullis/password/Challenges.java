package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.ProofOfWork;
import dev.portcullis.core.Secrets;
import dev.portcullis.otp.Identity;
import dev.portcullis.otp.OtpCodes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import dev.portcullis.core.messages.PasswordMessages.Challenge;
import dev.portcullis.core.messages.PasswordMessages.Challenged;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Challenge tokens: short-lived (120 s), single use, bound to an app, a purpose and an identity, asking for
 * proof of work when recent failures say so (see {@link Difficulty}).
 */
public final class Challenges {

  public static final int TTL_SECONDS = 120;
  static final String LOGIN = "login";
  public static final Set<String> PURPOSES = Set.of("signup", LOGIN, "reset");
  private static final int TOKEN_BYTES = 32;
  private static final int MAX_TOKEN_LENGTH = 128;
  /** How long a login's check waits for the checks of its identity ahead of it (a password hash each, queued). */
  private static final long WAIT_FOR_CHECKS_AHEAD_NANOS = TimeUnit.SECONDS.toNanos(3);
  private static final long CHECKS_AHEAD_POLL_MS = 20;

  /** One issue or check: the app, the purpose and whose identity, from which network. */
  public record Call(App app, String purpose, Identity identity, String network, String requestId, String clientIp) {
  }

  private final PasswordStore store;
  private final OtpCodes names;
  private final AuditLog audit;
  private final PasswordMetrics metrics;
  private final Vertx vertx;

  public Challenges(Vertx vertx, PasswordStore store, OtpCodes names, AuditLog audit, PasswordMetrics metrics) {
    this.vertx = vertx;
    this.store = store;
    this.names = names;
    this.audit = audit;
    this.metrics = metrics;
  }

  /** {@code PASSWORD_CHALLENGE}: a token for this purpose and identity. */
  public Future<Challenged> issue(AppDirectory apps, Challenge message) {
    String purpose = message.purpose();
    if (purpose == null || !PURPOSES.contains(purpose)) {
      throw ApiException.invalid("purpose", "must be \"signup\", \"login\" or \"reset\"");
    }
    Identity identity = Identity.of(message.email(), message.phone());
    return PasswordRequest.of(apps, message.appId(), message)
        .compose(request -> issue(request.challenge(purpose, identity)));
  }

  /** A token for the call, asking for the work its recent failures call for. */
  public Future<Challenged> issue(Call call) {
    App app = call.app();
    String token = Secrets.randomToken(TOKEN_BYTES);
    String identityName = names.identityName(app.id(), call.identity());
    String networkName = call.network() == null ? null : names.networkName(app.id(), call.network());
    String tokenHash = hash(token);
    int max = app.settings().powMaxDifficulty();
    return store.countChallenge(app.id(), identityName, networkName, tokenHash, call.purpose(), max,
            TTL_SECONDS * 1000L)
        .compose(counted -> {
          int difficulty = counted.inputs().of(max);
          // Stored at 0 only when the counts call for no work; stored (again) whenever the formula asks for some.
          return counted.storedFree() && difficulty == 0 ? Future.succeededFuture(difficulty)
              : store.storeChallenge(app.id(), tokenHash, call.purpose(), identityName, difficulty, TTL_SECONDS * 1000L)
                  .map(difficulty);
        })
        .compose(difficulty -> recordIssued(call, difficulty)
            .map(recorded -> {
              metrics.challengeIssued(call.purpose(), difficulty);
              return new Challenged(token, TTL_SECONDS, difficulty);
            }));
  }

  /**
   * Spends the challenge of a signup, login or reset and checks its proof of work. Without a token: refused when
   * the app requires challenges, else passed (a token sent anyway is always checked).
   */
  public Future<Void> check(Call call, String token, String powSolution) {
    if (token == null) {
      return call.app().settings().challengeRequired()
          ? Future.failedFuture(invalid("challenge_token: is required; get one from POST /auth/challenge"))
          : Future.succeededFuture();
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      return Future.failedFuture(invalid("challenge_token: unknown, expired or already used"));
    }
    App app = call.app();
    String identityName = names.identityName(app.id(), call.identity());
    String networkName = call.network() == null ? null : names.networkName(app.id(), call.network());
    boolean startsCheck = LOGIN.equals(call.purpose());
    String spendId = hash(token);
    return store.consumeChallenge(app.id(), spendId, call.purpose(), identityName, networkName, startsCheck)
        .compose(spent -> {
          if (spent == null) {
            metrics.challengeRefused("unknown");
            return Future.failedFuture(invalid(
                "challenge_token: unknown, expired, already used, or issued for another purpose or identity"));
          }
          Spend spend = new Spend(call, identityName, networkName, token, powSolution, spent.issuedDifficulty(),
              spent.score(), System.nanoTime() + WAIT_FOR_CHECKS_AHEAD_NANOS);
          return afterChecksAhead(spend, new PasswordStore.Ahead(spent.checksAhead(), spent.failuresNow()))
              .onFailure(refused -> {
                if (startsCheck) {
                  store.released(app.id(), identityName, spendId);
                }
              });
        });
  }

  /** A spent token on its way to a password check: what judges it, and until when it may wait. */
  private record Spend(Call call, String identityName, String networkName, String token, String powSolution,
                       int issuedDifficulty, long score, long deadline) {
  }

  /**
   * Passes once the token's work covers the failures counted so far and no check of its identity is ahead of it:
   * each ahead may be a failure, and checks spent together would otherwise each be a free guess. Judged at once and
   * again after each wait (failures only rise meanwhile), so work that falls short never waits; waits for the checks
   * ahead (a password hash each), or refuses with {@code 429 rate_limited} when they do not end in time.
   */
  private Future<Void> afterChecksAhead(Spend spend, PasswordStore.Ahead ahead) {
    Call call = spend.call();
    Future<Void> judged = judge(call, spend.token(), spend.powSolution(), spend.issuedDifficulty(), ahead.failuresNow());
    if (judged.failed() || ahead.checks() == 0) {
      return judged;
    }
    if (System.nanoTime() - spend.deadline() > 0) {
      metrics.challengeRefused("in_flight");
      AuditEvent refused = AuditEvent.of(AuditEvent.RATE_LIMITED, call.app().id(), call.requestId(), call.clientIp())
          .with("reason", "password_checks_in_flight")
          .with(call.identity().kind().field(), call.identity().masked());
      return audit.record(refused).transform(recorded -> Future.failedFuture(ApiException.rateLimited(
          ErrorCode.RATE_LIMITED, call.identity().kind().field()
              + ": other password checks of this identity are under way; retry in 1 s with a new challenge", 1)));
    }
    return vertx.timer(CHECKS_AHEAD_POLL_MS, TimeUnit.MILLISECONDS)
        .compose(waited -> store.checksAhead(call.app().id(), spend.identityName(), spend.networkName(), spend.score()))
        .compose(now -> afterChecksAhead(spend, now));
  }

  /**
   * The token's work against the higher of its issue difficulty and what the failures call for now: failures since
   * it was issued raise its price, so tokens taken before any failure are no free guesses. Only failures: the volume
   * of challenges a shared network fetched since is no reason to refuse this one.
   */
  private Future<Void> judge(Call call, String token, String powSolution, int issuedDifficulty, Difficulty failuresNow) {
    int difficulty = Math.max(issuedDifficulty, failuresNow.of(call.app().settings().powMaxDifficulty()));
    if (ProofOfWork.solves(token, powSolution, difficulty)) {
      return Future.succeededFuture();
    }
    metrics.challengeRefused("pow");
    if (powSolution != null && powSolution.codePointCount(0, powSolution.length()) > ProofOfWork.MAX_SOLUTION_LENGTH) {
      return Future.failedFuture(invalid("pow_solution: must be at most " + ProofOfWork.MAX_SOLUTION_LENGTH
          + " characters; get a new challenge"));
    }
    return Future.failedFuture(invalid("pow_solution: does not solve the challenge at difficulty " + difficulty
        + (difficulty > issuedDifficulty ? " (it rose since the challenge was issued)" : "")
        + "; get a new challenge"));
  }

  private Future<Void> recordIssued(Call call, int difficulty) {
    if (difficulty == 0) {
      return Future.succeededFuture();
    }
    return audit.record(AuditEvent.of(AuditEvent.CHALLENGE_ISSUED, call.app().id(), call.requestId(), call.clientIp())
        .with("purpose", call.purpose())
        .with("difficulty", difficulty)
        .with(call.identity().kind().field(), call.identity().masked()));
  }

  static ApiException invalid(String message) {
    return new ApiException(ErrorCode.INVALID_CHALLENGE, message);
  }

  /**
   * What names a login's password check in flight once its challenge is spent ({@link PasswordStore#consumeChallenge}):
   * the token's hash, or null without a token.
   */
  static String spendId(String token) {
    return token == null || token.length() > MAX_TOKEN_LENGTH ? null : hash(token);
  }

  /** Redis keeps the token's hash only: a read of Redis does not hand out live tokens. */
  private static String hash(String token) {
    return HexFormat.of().formatHex(Secrets.sha256(token));
  }
}
