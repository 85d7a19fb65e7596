package dev.portcullis.token;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import dev.portcullis.core.messages.TokenMessages.Introspect;
import dev.portcullis.core.messages.TokenMessages.Introspected;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * {@code /auth/me} and {@link dev.portcullis.core.Bus#TOKEN_INTROSPECT}: verifies an access token, checks
 * that its session is not revoked (a Redis marker, so a revocation shows on every process at once) and
 * answers the user, the session and the app. One per verticle instance: the HTTP verticles answer
 * {@code /auth/me} themselves, without an event-bus hop.
 *
 * <p>Sessions and their users are cached for {@link #VIEW_TTL_MS}, with the answer built from them: nothing in
 * them changes but revocation, and revocation is read from Redis on every call. The answer is shared by the
 * calls of those seconds, so callers only encode it, never change it.
 */
public final class Introspection {

  static final long VIEW_TTL_MS = 5_000;

  private final AccessTokenVerifier verifier;
  private final RevocationChecks revocations;
  private final SessionStore sessions;
  private final TtlCache<UUID, SessionView> views = new TtlCache<>(VIEW_TTL_MS, 100_000);

  /** A session as introspection answers it (and /auth/me, encoded); both null when there is no such session. */
  private record SessionView(SessionStore.SessionRow session, Introspected reply, JsonObject answer) {

    static SessionView of(SessionStore.SessionRow session) {
      if (session == null) {
        return new SessionView(null, null, null);
      }
      Introspected reply = new Introspected(session.appId(), session.userId(), session.user(), session.sessionJson());
      return new SessionView(session, reply, reply.toJson());
    }
  }

  private Introspection(AccessTokenVerifier verifier, RevocationChecks revocations, SessionStore sessions) {
    this.verifier = verifier;
    this.revocations = revocations;
    this.sessions = sessions;
  }

  public static Introspection create(GatewayConfig config, Postgres pg, RedisStore redis) {
    VerificationKeys keys = new VerificationKeys(new SigningKeyStore(pg));
    return new Introspection(new AccessTokenVerifier(config.issuer(), keys),
        new RevocationChecks(redis, new Revocations(redis)), new SessionStore(pg));
  }

  /** The bus form: with an app id, a token of any other app is {@code invalid_token}. */
  Future<Introspected> serve(Introspect request) {
    return view(request.accessToken(), request.appId()).map(SessionView::reply);
  }

  /** {@code /auth/me}: the answer of any app's live token. */
  public Future<JsonObject> introspect(String accessToken) {
    return view(accessToken, null).map(SessionView::answer);
  }

  /** Verifies the token; expectedApp, when not null, is the only app whose tokens are accepted. */
  private Future<SessionView> view(String accessToken, UUID expectedApp) {
    return verifier.verify(accessToken).compose(claims -> {
      if (expectedApp != null && !expectedApp.equals(claims.appId())) {
        return Future.failedFuture(AccessTokenVerifier.invalid("is not a token of this app"));
      }
      Future<Boolean> revoked = revocations.isRevoked(claims.sessionId());
      Future<SessionView> view = views.get(claims.sessionId(), id -> sessions.view(id).map(SessionView::of));
      return Future.all(revoked, view).compose(both -> answer(claims, revoked.result(), view.result()));
    });
  }

  private static Future<SessionView> answer(AccessTokenVerifier.Claims claims, boolean revoked, SessionView view) {
    SessionStore.SessionRow session = view.session();
    if (session == null || !session.userId().equals(claims.userId()) || !session.appId().equals(claims.appId())) {
      return Future.failedFuture(AccessTokenVerifier.invalid("belongs to no known session"));
    }
    if (revoked || session.revoked()) {
      return Future.failedFuture(new ApiException(ErrorCode.SESSION_REVOKED, "the session of this token has been revoked"));
    }
    return Future.succeededFuture(view);
  }
}
