package dev.portcullis.hosted;

import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.UUID;

/**
 * Authorization codes: 256 random bits, 60 seconds, single use, bound to the app, the redirect target and the
 * PKCE challenge. Only a digest of the code is a key; redeeming is one script, so a code is redeemed once even
 * when presented concurrently to several pods. OpenID Connect's token endpoint redeems the same codes.
 */
public final class AuthCodes {

  public static final int CODE_BYTES = 32;
  public static final long TTL_MS = 60_000;
  /**
   * How long a presented code is remembered (its user's id alone), so that a late second presentation is seen as
   * reuse; a code never presented is gone at its expiry, with the user's data it held.
   */
  static final long TOMBSTONE_MS = 600_000;

  private static final RedisScript ISSUE = RedisScript.load("auth-code-issue.lua");
  private static final RedisScript REDEEM = RedisScript.load("auth-code-redeem.lua");
  private static final RedisScript ISSUED = RedisScript.load("auth-code-issued.lua");

  /** What a code was issued for. {@code challenge} is null without PKCE. */
  public record Grant(UUID appId, String redirect, String challenge, JsonObject user, boolean newUser, JsonObject data) {
  }

  /** Where a password sign-in's {@code Proven.credential} rides: in the flow's user, then in the code's data. */
  static final String CREDENTIAL = "credential";

  public enum Verdict { OK, INVALID, UNAUTHENTICATED, VERIFIER, REUSED }

  /**
   * {@code user} when OK or REUSED; {@code issuedSession} (may be null) when REUSED; {@code redirect}, the target the
   * code was issued for, when OK.
   */
  public record Redemption(Verdict verdict, JsonObject user, boolean newUser, JsonObject data, String issuedSession,
                           String redirect) {
  }

  private final RedisStore redis;

  public AuthCodes(RedisStore redis) {
    this.redis = redis;
  }

  /** Stores a grant and answers its new code. */
  public Future<String> issue(Grant grant) {
    String code = Tokens.random(CODE_BYTES);
    // The password's credential goes with the code's data, never with the user it answers.
    JsonObject user = grant.user().copy();
    JsonObject data = grant.data() == null ? new JsonObject() : grant.data().copy();
    Object credential = user.remove(CREDENTIAL);
    if (credential != null) {
      data.put(CREDENTIAL, credential);
    }
    List<String> args = List.of(grant.appId().toString(), grant.redirect(),
        grant.challenge() == null ? "" : grant.challenge(), user.encode(), grant.newUser() ? "1" : "0",
        Long.toString(TTL_MS), Long.toString(TOMBSTONE_MS), data.encode());
    return ISSUE.run(redis, List.of(key(code)), args).map(code);
  }

  /**
   * Redeems a code for the app. {@code kind}: the flow kind whose codes the endpoint takes (the {@code kind} of the
   * grant's data); a code of another kind is invalid there and stays redeemable where it belongs.
   * {@code authenticated}: the client presented its credentials; {@code verifier}: the PKCE code_verifier or null;
   * {@code redirect}: the redirect target the exchange names, or null.
   */
  public Future<Redemption> redeem(UUID appId, String kind, String code, boolean authenticated, String verifier,
                                   String redirect) {
    if (code == null || code.isEmpty() || code.length() > 128) {
      return Future.succeededFuture(new Redemption(Verdict.INVALID, null, false, null, null, null));
    }
    List<String> args = List.of(appId.toString(), authenticated ? "1" : "0",
        verifier == null || verifier.isEmpty() ? "" : Tokens.s256(verifier), redirect == null ? "" : redirect, kind,
        Long.toString(TOMBSTONE_MS));
    return REDEEM.run(redis, List.of(key(code)), args).map(AuthCodes::redemption);
  }

  /** Records the session the redeemed code issued; false when the code was presented again meanwhile. */
  public Future<Boolean> issued(String code, String sessionId) {
    return ISSUED.run(redis, List.of(key(code)), List.of(sessionId)).map(reply -> "ok".equals(reply.toString()));
  }

  /** False when the redeemed code was presented again since (that presentation revoked the session it issued). */
  public Future<Boolean> stillRedeemed(String code) {
    return redis.send(Command.HGET, key(code), "state")
        .map(state -> state == null || !"reused".equals(state.toString()));
  }

  private static Redemption redemption(Response reply) {
    Verdict verdict = Verdict.valueOf(reply.get(0).toString().toUpperCase(java.util.Locale.ROOT));
    return switch (verdict) {
      case OK -> new Redemption(verdict, new JsonObject(reply.get(1).toString()), "1".equals(reply.get(2).toString()),
          new JsonObject(reply.get(3).toString()), null, reply.get(4).toString());
      case REUSED -> {
        String session = reply.get(1).toString();
        String user = reply.get(2).toString();
        yield new Redemption(verdict, user.isEmpty() ? null : new JsonObject(user), false, null,
            session.isEmpty() ? null : session, null);
      }
      default -> new Redemption(verdict, null, false, null, null, null);
    };
  }

  private String key(String code) {
    return redis.key("authz-code", "{" + Tokens.sha256Hex(code) + "}");
  }
}
