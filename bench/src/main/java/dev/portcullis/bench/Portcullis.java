package dev.portcullis.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicLong;

/** The gateway's end-user flows, as a client backend calls them (API.md). */
final class Portcullis extends Flows {

  private final Http http;
  private final OtpReceiver receiver;
  private final String appId;
  private final String appSecret;
  private final String runTag;
  private final AtomicLong identities = new AtomicLong();

  Portcullis(Http http, OtpReceiver receiver, Stats stats, String appId, String appSecret, String runTag) {
    super(stats);
    this.http = http;
    this.receiver = receiver;
    this.appId = appId;
    this.appSecret = appSecret;
    this.runTag = runTag;
  }

  /**
   * send-otp for a new identity, the code from the webhook, verify-otp: a new user and session. A fresh email
   * each time, so the per-identity cooldown and hourly cap never apply.
   */
  Future<Session> otpPair() {
    return otpPair("u" + identities.incrementAndGet() + "-" + runTag + "@bench.test");
  }

  /**
   * The same pair for returning users: the identities of a pool of {@code pool}, in turn, so after the first
   * round (in the warm-up) every verify finds its user instead of creating one. Needs an app without the resend
   * cooldown and with a high hourly cap (bench/run.sh creates it so).
   */
  Future<Session> returningOtpPair(int pool) {
    return otpPair("r" + (identities.incrementAndGet() % pool) + "-" + runTag + "@bench.test");
  }

  private Future<Session> otpPair(String email) {
    long start = System.nanoTime();
    JsonObject send = credentials().put("email", email);
    return expectOk("send-otp", start, http.postJson("/auth/send-otp", send))
        .compose(sent -> {
          String requestId = sent.getString("otp_request_id");
          return counted("otp-webhook", receiver.code(requestId)).compose(code -> {
            JsonObject verify = credentials().put("otp_request_id", requestId).put("otp", code);
            long verifyStart = System.nanoTime();
            return expectOk("verify-otp", verifyStart, http.postJson("/auth/verify-otp", verify));
          });
        })
        .map(tokens -> {
          stats.composite("otp-pair", System.nanoTime() - start);
          return session(tokens);
        });
  }

  /** The password every password-scenario user has (long and uncommon, so the policy accepts it). */
  static final String PASSWORD = "bench tangerine skyline 42";

  /**
   * A password user: challenge, signup (202), the code from the webhook, verify. Returns the email. A fresh email
   * each time, as for OTP pairs.
   */
  Future<String> passwordUser() {
    String email = "p" + identities.incrementAndGet() + "-" + runTag + "@bench.test";
    return challenge("signup", email)
        .compose(token -> expect("signup", System.nanoTime(), http.postJson("/auth/signup", credentials()
            .put("email", email).put("password", PASSWORD).put("challenge_token", token)), 202, true))
        .compose(pending -> {
          String verificationId = pending.getString("verification_id");
          return counted("otp-webhook", receiver.code(verificationId)).compose(code -> expectOk("verify",
              System.nanoTime(), http.postJson("/auth/verify", credentials().put("verification_id", verificationId)
                  .put("code", code))));
        })
        .map(email);
  }

  /**
   * A password login as a client backend does it: a challenge (no proof of work: the run has no failures), then
   * the login, one Argon2id check on the gateway's hashing pool. Counted as one composite "password-login".
   */
  Future<Void> passwordLogin(String email) {
    long start = System.nanoTime();
    return challenge("login", email)
        .compose(token -> expectOk("login", System.nanoTime(), http.postJson("/auth/login", credentials()
            .put("email", email).put("password", PASSWORD).put("challenge_token", token)), false))
        .map(done -> {
          stats.composite("password-login", System.nanoTime() - start);
          return null;
        });
  }

  private Future<String> challenge(String purpose, String email) {
    return expectOk("challenge", System.nanoTime(), http.postJson("/auth/challenge", credentials()
            .put("purpose", purpose).put("email", email)))
        .map(challenge -> challenge.getString("challenge_token"));
  }

  /** One link of a refresh chain: the session moves on to the new refresh token. */
  Future<Void> refresh(Session session) {
    JsonObject body = credentials().put("refresh_token", session.refreshToken);
    return expectOk("refresh", System.nanoTime(), http.postJson("/auth/refresh", body))
        .map(tokens -> {
          session.accessToken = tokens.getString("access_token");
          session.refreshToken = tokens.getString("refresh_token");
          return null;
        });
  }

  Future<Void> me(Session session) {
    return me(session.accessToken, System.nanoTime());
  }

  /** {@code /auth/me}; latency from {@code startNanos} (the intended start, in open-loop runs). */
  Future<Void> me(String accessToken, long startNanos) {
    return expectOk("me", startNanos, http.get("/auth/me", accessToken), false).mapEmpty();
  }

  private JsonObject credentials() {
    return new JsonObject().put("app_id", appId).put("app_secret", appSecret);
  }

  private static Session session(JsonObject tokens) {
    return new Session(tokens.getString("access_token"), tokens.getString("refresh_token"));
  }
}
