package dev.portcullis.token;

import dev.portcullis.app.ClientFailures;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.shareddata.LocalMap;
import dev.portcullis.core.messages.TokenMessages.Introspect;
import dev.portcullis.core.messages.TokenMessages.Introspected;
import dev.portcullis.user.User;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserRepository;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code /auth/me} and {@link dev.portcullis.core.Bus#TOKEN_INTROSPECT}: verifies an access token, checks
 * that its session is not revoked (a Redis marker, so a revocation shows on every process at once) and
 * answers the user, the session, the session's roles and the app. One per verticle instance: the HTTP
 * verticles answer {@code /auth/me} themselves, without an event-bus hop.
 *
 * <p>Sessions and their users are cached for {@link #VIEW_TTL_MS}, with the answer built from them. Revocation
 * is read from Redis on every call, and with it the user's change marker ({@link UserChanges}, same pipeline):
 * a view loaded under another marker is loaded again, so a change of roles, memberships or profile shows at
 * once. The answer is encoded once, when the view is loaded, and the calls of those seconds write its bytes.
 *
 * <p>An absent marker is not trusted for a session this process revoked and whose marker is not yet written
 * ({@link Revocations}): such a session is read from Postgres on every call. Another process trusts the absent
 * marker for at most {@link #VIEW_TTL_MS}, the age of its cached view, which carries {@code revoked_at}.
 */
public final class Introspection {

  static final long VIEW_TTL_MS = 5_000;
  /** The connections, per process, that look up kids no verticle has seen lately. */
  static final int UNSEEN_KID_CONNECTIONS = 2;

  private final AccessTokenVerifier verifier;
  private final RevocationChecks revocations;
  private final SessionStore sessions;
  private final UserRepository users;
  private final LocalMap<String, Long> pendingMarkers;
  private final TtlCache<UUID, SessionView> views = new TtlCache<>(VIEW_TTL_MS, 100_000);

  /**
   * A session as introspection answers it (and /auth/me, encoded), and the user's change marker it was loaded
   * under; reply and answer are null when there is no such session or user.
   */
  /** What {@code GET /auth/me} answers: the encoded body, and the session's app (for the access log). */
  public interface MeAnswer {

    UUID appId();

    Buffer body();
  }

  private record SessionView(SessionStore.SessionRow session, boolean userDisabled, Introspected reply, Buffer answer,
                             String userMarker) implements MeAnswer {

    @Override
    public UUID appId() {
      return session.appId();
    }

    @Override
    public Buffer body() {
      return answer;
    }

    static SessionView of(SessionStore.SessionRow session, User user, String userMarker) {
      if (session == null || user == null) {
        return new SessionView(null, false, null, null, userMarker);
      }
      Introspected reply = new Introspected(session.appId(), session.userId(), user.toJson(), session.sessionJson(),
          session.roles());
      return new SessionView(session, user.disabled(), reply, reply.toJson().toBuffer(), userMarker);
    }
  }

  private Introspection(AccessTokenVerifier verifier, RevocationChecks revocations, SessionStore sessions,
                        UserRepository users, LocalMap<String, Long> pendingMarkers) {
    this.verifier = verifier;
    this.pendingMarkers = pendingMarkers;
    this.revocations = revocations;
    this.sessions = sessions;
    this.users = users;
  }

  /** {@code failures}: where the kids that named no key are counted against the caller that presented them. */
  public static Introspection create(Vertx vertx, GatewayConfig config, Postgres pg, RedisStore redis,
                                     ClientFailures failures) {
    // Shared by name: every verticle of the process looks unseen kids up on the same two connections.
    SigningKeyStore unseen = new SigningKeyStore(Postgres.createBesideRequests(vertx, config, "portcullis-unseen-kids",
        UNSEEN_KID_CONNECTIONS));
    VerificationKeys keys = new VerificationKeys(new SigningKeyStore(pg), unseen, config.backendTimeoutMs(),
        failures)
        .listen(vertx);
    return new Introspection(new AccessTokenVerifier(config.issuer(), keys),
        new RevocationChecks(redis, new Revocations(redis)), new SessionStore(pg), new UserRepository(pg),
        Revocations.pending(vertx));
  }

  /** The bus form: with an app id, a token of any other app is {@code invalid_token}. */
  Future<Introspected> serve(Introspect request) {
    return view(request.accessToken(), request.appId(), request.callerIp()).map(SessionView::reply);
  }

  /** {@code /auth/me}: the answer of any app's live token, encoded; {@code callerIp} presented it. */
  public Future<MeAnswer> introspect(String accessToken, String callerIp) {
    return view(accessToken, null, callerIp).map(view -> view);
  }

  /** Verifies the token; expectedApp, when not null, is the only app whose tokens are accepted. */
  private Future<SessionView> view(String accessToken, UUID expectedApp, String callerIp) {
    return verifier.verify(accessToken, callerIp).compose(claims -> {
      if (expectedApp != null && !expectedApp.equals(claims.appId())) {
        return Future.failedFuture(AccessTokenVerifier.invalid("is not a token of this app"));
      }
      return revocations.check(claims.sessionId(), claims.userId()).compose(state -> {
        if (state.revoked()) {
          return Future.failedFuture(revoked());
        }
        String marker = state.userMarker();
        if (Revocations.isPending(pendingMarkers, claims.sessionId())) {
          // Revoked here, its marker not yet in Redis: the absent marker proves nothing, Postgres decides.
          views.forget(claims.sessionId());
          return load(claims, marker).compose(view -> answer(claims, view));
        }
        Function<UUID, Future<SessionView>> loader = id -> load(claims, marker);
        return views.get(claims.sessionId(), loader)
            .compose(view -> current(view, marker) ? Future.succeededFuture(view) : views.reload(claims.sessionId(), loader))
            .compose(view -> current(view, marker) ? Future.succeededFuture(view) : load(claims, marker))
            .compose(view -> answer(claims, view));
      });
    });
  }

  private Future<SessionView> load(AccessTokenVerifier.Claims claims, String userMarker) {
    Future<SessionStore.SessionRow> session = sessions.view(claims.sessionId());
    Future<User> user = users.get(claims.appId(), claims.userId());
    return Future.all(session, user).map(both -> SessionView.of(session.result(), user.result(), userMarker));
  }

  private static boolean current(SessionView view, String userMarker) {
    return Objects.equals(view.userMarker(), userMarker);
  }

  private static Future<SessionView> answer(AccessTokenVerifier.Claims claims, SessionView view) {
    SessionStore.SessionRow session = view.session();
    if (session == null || !session.userId().equals(claims.userId()) || !session.appId().equals(claims.appId())) {
      return Future.failedFuture(AccessTokenVerifier.invalid("belongs to no known session"));
    }
    if (session.revoked() || view.userDisabled() || session.licenseExpired()) {
      // A disabled user's sessions are revoked with the disable; its row, read anyway, refuses any one left over.
      // A device's license that expired revokes its sessions at that moment (API.md), not at the housekeeping
      // job's next run, which writes the revocation later.
      return Future.failedFuture(revoked());
    }
    if (session.expiresAt().toInstant().isBefore(Instant.now())) {
      // Its session's absolute end has passed, whatever the token's own exp (issued near that end, it outlives it).
      return Future.failedFuture(AccessTokenVerifier.invalid("belongs to a session that has ended"));
    }
    return Future.succeededFuture(view);
  }

  private static ApiException revoked() {
    return new ApiException(ErrorCode.SESSION_REVOKED, "the session of this token has been revoked");
  }
}
