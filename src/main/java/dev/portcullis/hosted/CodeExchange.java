package dev.portcullis.hosted;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import dev.portcullis.core.messages.TokenMessages.Revoke;
import dev.portcullis.core.messages.TokenMessages.Revoked;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

/**
 * Trades an authorization code for a session, as any login makes one (through the token service). A code
 * presented again is refused with {@code invalid_grant}, and the session its first presentation issued is
 * revoked, even when the two presentations race.
 */
public final class CodeExchange {

  public static final String EXCHANGED = "hosted.code_exchanged";
  public static final String REUSED = "hosted.code_reused";
  static final String REVOKE_REASON = "authorization_code_reused";

  /** A redeemed code: the user it was issued for, the token response of the new session, the kind's data. */
  public record Exchanged(JsonObject user, boolean newUser, Grant tokens, JsonObject data) {
  }

  private final AuthCodes codes;
  private final AppDirectory apps;
  private final HostedUsers users;
  private final Bus bus;
  private final AuditLog audit;
  private final HostedMetrics metrics;

  public CodeExchange(AuthCodes codes, AppDirectory apps, HostedUsers users, Bus bus, AuditLog audit,
                      HostedMetrics metrics) {
    this.codes = codes;
    this.apps = apps;
    this.users = users;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
  }

  /**
   * @param kind          the flow kind whose codes this endpoint takes ({@link AutzKind#NAME} or OpenID Connect's)
   * @param authenticated the client presented valid credentials for {@code appId}
   * @param verifier      the PKCE code_verifier, or null
   * @param redirect      the redirect target the request names (OpenID Connect's redirect_uri), or null
   */
  public Future<Exchanged> exchange(UUID appId, String kind, String code, boolean authenticated, String verifier,
                                    String redirect, FlowKind.Visit visit) {
    return exchange(appId, kind, code, authenticated, verifier, redirect, visit, null);
  }

  /** The same, the session's access tokens carrying {@code issuer} when not null (OpenID Connect's per-app issuer). */
  public Future<Exchanged> exchange(UUID appId, String kind, String code, boolean authenticated, String verifier,
                                    String redirect, FlowKind.Visit visit, String issuer) {
    return codes.redeem(appId, kind, code, authenticated, verifier, redirect)
        .compose(redemption -> switch (redemption.verdict()) {
          case OK -> stillRegistered(appId, redemption.redirect())
              .compose(registered -> registered ? issue(appId, code, redemption, visit, issuer)
                  : refused(new ApiException(ErrorCode.INVALID_GRANT,
                      "code: its redirect target is no longer one of the app's callback URLs")));
          case REUSED -> reused(appId, redemption.issuedSession(), userOf(redemption), visit);
          case UNAUTHENTICATED -> refused(new ApiException(ErrorCode.INVALID_CLIENT,
              "this code was issued without a code_challenge: authenticate with HTTP Basic app_id:app_secret"));
          case VERIFIER -> refused(new ApiException(ErrorCode.INVALID_GRANT,
              "code_verifier: does not match this code (one issued with a code_challenge needs its code_verifier, "
                  + "one issued without takes none); the code is spent"));
          case INVALID -> refused(invalidGrant());
        });
  }

  private Future<Exchanged> issue(UUID appId, String code, AuthCodes.Redemption redemption, FlowKind.Visit visit,
                                  String issuer) {
    UUID userId = userOf(redemption);
    Issue request = Issue.login(appId, userId, redemption.newUser(), visit.requestId(), visit.clientIp())
        .withIssuer(issuer);
    return bus.request(Bus.TOKEN_ISSUE, request).recover(CodeExchange::userGone).compose(tokens -> {
      String sessionId = tokens.sessionId().toString();
      return codes.issued(code, sessionId).compose(recorded -> {
        if (!recorded) {
          // Presented again while this presentation was issuing: the reuse found no session to revoke, so this does.
          return reused(appId, sessionId, userId, visit).<Void>mapEmpty();
        }
        return unlessPasswordChanged(appId, userId, redemption.data().getString(AuthCodes.CREDENTIAL), tokens, visit);
      }).compose(ignored -> {
        metrics.codeExchange("exchanged");
        AuditEvent event = AuditEvent.of(EXCHANGED, appId, visit.requestId(), visit.clientIp())
            .withUser(userId)
            .with("session_id", sessionId)
            .with("kind", redemption.data().getString("kind"));
        return audit.record(event).map(v -> new Exchanged(redemption.user(), redemption.newUser(), tokens,
            redemption.data()));
      });
    });
  }

  /**
   * The last step before a redeemed code's tokens are answered, once everything else is done: a presentation of the
   * code while they were being made revoked their session, and is refused too, so neither presentation of a code
   * raced by two gets tokens.
   */
  public Future<Void> beforeAnswering(String code) {
    return codes.stillRedeemed(code).compose(alone -> alone ? Future.succeededFuture()
        : refused(new ApiException(ErrorCode.INVALID_GRANT,
            "code: was presented again while its tokens were made; the session it opened has been revoked")));
  }

  /**
   * A code a password sign-in made opens a session only while that password is still the user's: a change or reset
   * between the sign-in and the exchange revoked every session then live, so the session this exchange just stored
   * is revoked in turn. (As a password login's, the hash is read once the session is stored: a change that stores
   * its hash after this read revokes the session itself.)
   */
  private Future<Void> unlessPasswordChanged(UUID appId, UUID userId, String credential, Grant tokens,
                                             FlowKind.Visit visit) {
    if (credential == null) {
      return Future.succeededFuture();
    }
    return users.stillProves(appId, userId, credential).compose(proven -> {
      if (proven) {
        return Future.succeededFuture();
      }
      metrics.codeExchange("refused");
      Revoke revoke = Revoke.session(appId, tokens.sessionId(), "password_changed", null, visit.requestId(),
          visit.clientIp());
      return bus.request(Bus.TOKEN_REVOKE, revoke).compose(revoked -> Future.failedFuture(new ApiException(
          ErrorCode.INVALID_GRANT, "code: the user's password changed after this sign-in; sign in again")));
    });
  }

  /** The only request a code's login can get wrong is its user: deleted since the code was issued, a dead grant. */
  private static Future<Grant> userGone(Throwable failure) {
    return Future.failedFuture(failure instanceof ApiException api && api.code() == ErrorCode.INVALID_REQUEST
        ? new ApiException(ErrorCode.INVALID_GRANT, "code: the user it was issued for no longer exists")
        : failure);
  }

  /** The code's redirect target is still one of the app's callback URLs: one removed after the code was issued is not. */
  private Future<Boolean> stillRegistered(UUID appId, String redirect) {
    return apps.find(appId).map(app -> app.isPresent() && app.get().registers(redirect));
  }

  private static UUID userOf(AuthCodes.Redemption redemption) {
    return redemption.user() == null ? null : UUID.fromString(redemption.user().getString("id"));
  }

  private Future<Exchanged> reused(UUID appId, String sessionId, UUID userId, FlowKind.Visit visit) {
    metrics.codeExchange("reused");
    AuditEvent event = AuditEvent.of(REUSED, appId, visit.requestId(), visit.clientIp())
        .withUser(userId)
        .with("session_id", sessionId);
    Future<Revoked> revoked = sessionId == null
        ? Future.succeededFuture(new Revoked(0))
        : bus.request(Bus.TOKEN_REVOKE, Revoke.session(appId, UUID.fromString(sessionId), REVOKE_REASON, null,
            visit.requestId(), visit.clientIp()));
    return revoked
        .compose(done -> audit.record(event))
        .compose(stored -> Future.failedFuture(new ApiException(ErrorCode.INVALID_GRANT, sessionId == null
            ? "code: was already presented, and is spent"
            : "code: was already used; the session it issued has been revoked")));
  }

  private <T> Future<T> refused(ApiException failure) {
    metrics.codeExchange("refused");
    return Future.failedFuture(failure);
  }

  /** RFC 7636 §4.1: 43 to 128 characters of the unreserved set; anything else is no verifier a client made. */
  public static boolean wellFormedVerifier(String verifier) {
    return verifier.length() >= 43 && verifier.length() <= 128 && verifier.chars().allMatch(c -> c >= 'A' && c <= 'Z'
        || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~');
  }

  public static final String VERIFIER_SYNTAX = "must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636)";

  static ApiException invalidGrant() {
    return new ApiException(ErrorCode.INVALID_GRANT, "code: unknown, expired, or not issued to this app");
  }
}
