package dev.portcullis.token;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.OncePerWindow;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.RedisStore;
import dev.portcullis.core.Secrets;
import dev.portcullis.security.SecurityEvents;
import io.vertx.core.Future;
import dev.portcullis.core.messages.TokenMessages.Grant;
import dev.portcullis.core.messages.TokenMessages.Issue;
import dev.portcullis.core.messages.TokenMessages.LoggedOut;
import dev.portcullis.core.messages.TokenMessages.Logout;
import dev.portcullis.core.messages.TokenMessages.Refresh;
import dev.portcullis.core.messages.TokenMessages.Revoke;
import dev.portcullis.core.messages.TokenMessages.Revoked;
import dev.portcullis.core.messages.TokenMessages.SignIn;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserRepository;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions and their tokens: login (a new session), refresh (rotation with a reuse grace window and reuse
 * detection), logout. Every answer waits for its audit events to be stored.
 */
final class TokenService {

  private static final Logger LOG = LoggerFactory.getLogger(TokenService.class);

  static final String REASON_REUSE = "refresh_token_reused";
  /** A session's reuse is reported (webhook, audit row) at most once in this window, however often replayed. */
  static final long REUSE_REPORT_MS = 60_000;

  private final AppDirectory apps;
  private final SessionStore sessions;
  private final AccessTokens accessTokens;
  private final RefreshTokens refreshTokens;
  private final SessionRevocations published;
  private final AuditLog audit;
  private final TokenMetrics metrics;
  private final SecurityEvents securityEvents;
  private final UserRepository users;
  private final UserChanges userChanges;
  private final OncePerWindow reuseReports;

  TokenService(AppDirectory apps, SessionStore sessions, UserRepository users, UserChanges userChanges,
               AccessTokens accessTokens, RefreshTokens refreshTokens, Revocations revocations, AuditLog audit,
               TokenMetrics metrics, SecurityEvents securityEvents, RedisStore redis) {
    this.apps = apps;
    this.sessions = sessions;
    this.users = users;
    this.userChanges = userChanges;
    this.accessTokens = accessTokens;
    this.refreshTokens = refreshTokens;
    this.published = new SessionRevocations(sessions, revocations, audit);
    this.audit = audit;
    this.metrics = metrics;
    this.securityEvents = securityEvents;
    this.reuseReports = new OncePerWindow(redis, REUSE_REPORT_MS);
  }

  /**
   * {@link dev.portcullis.core.Bus#TOKEN_ISSUE}: a new session for a user who just proved who they are, bound
   * to the request's tenant when it names one (the user must be a member: {@code 403 forbidden}).
   */
  Future<Grant> issue(Issue request) {
    return app(request.appId()).compose(app -> login(app, request.userId(), request.newUser(), request));
  }

  /**
   * {@link dev.portcullis.core.Bus#TOKEN_SIGN_IN}: the identity's user (made when missing) and a new session of it
   * in one statement, then the proof's events, {@code user.created} and {@code token.issued} in one audit
   * submission while the access token is signed. A disabled user ({@code 403 user_disabled}) or one outside the
   * tenant ({@code 403 forbidden}) gets no session, and the proof's events are recorded all the same.
   */
  Future<Grant> signIn(SignIn request) {
    return app(request.appId()).compose(app -> signIn(app, request, 1)).onSuccess(answered -> metrics.issued(true));
  }

  private Future<Grant> signIn(App app, SignIn request, int retries) {
    String refreshToken = RefreshTokens.newToken();
    UUID newUserId = UUID.randomUUID();
    return sessions.signIn(request.email(), request.phone(), app.id(), newUserId, UUID.randomUUID(),
            app.settings().refreshTokenTtl(), RefreshTokens.hash(refreshToken), request.tenantId(), request.clientIp())
        .recover(failure -> proofAfterFailure(request, newUserId, failure))
        .compose(signedIn -> {
          if (signedIn == null) {
            if (retries > 0) {
              return signIn(app, request, retries - 1);
            }
            // Still no user: the identity is new and names a tenant, so the statement made none. The proof is spent.
            return request.tenantId() != null
                ? audit.record(provenBy(request, null, false)).compose(stored -> Future.failedFuture(notMember()))
                : Future.failedFuture(new IllegalStateException("no user after a second sign-in statement"));
          }
          List<AuditEvent> events = provenBy(request, signedIn.userId(), signedIn.created());
          SessionStore.SessionRow session = signedIn.session();
          if (session == null) {
            ApiException refusal = signedIn.disabled()
                ? new ApiException(ErrorCode.USER_DISABLED, "the user is disabled")
                : notMember();
            return audit.record(events).compose(stored -> Future.failedFuture(refusal));
          }
          events.add(event(AuditEvent.TOKEN_ISSUED, request, session));
          // A user made by this statement got its default roles from a trigger the statement's snapshot does not see.
          Future<SessionStore.SessionRow> withRoles = signedIn.created()
              ? sessions.view(session.id())
              : Future.succeededFuture(session);
          return withRoles.transform(viewed -> viewed.succeeded() && viewed.result() != null
              ? answer(app, viewed.result(), refreshToken, signedIn.created(), events, null)
              : audit.record(events).compose(stored -> Future.failedFuture(viewed.failed()
                  ? viewed.cause()
                  : new IllegalStateException("session " + session.id() + " vanished after its sign-in"))));
        });
  }

  /**
   * The sign-in statement failed; the proof is spent all the same. Its events are recorded with the identity's user,
   * found or made here as a login that got no further would leave it, and the answer is the failure. A statement
   * that outlived the deadline (503) may still commit: a user found with {@code newUserId} was made by it, so it is
   * audited as created (this lookup's insert waits for that statement's). An app deleted meanwhile answers
   * {@code invalid_client}, with no event; a user deleted meanwhile answers null, so the sign-in runs again and makes
   * the identity a new one.
   */
  private Future<SessionStore.SignedIn> proofAfterFailure(SignIn request, UUID newUserId, Throwable failure) {
    String missing = Postgres.missingReference(failure);
    if ("app_id".equals(missing)) {
      return Future.failedFuture(AppDirectory.invalidClient());
    }
    if ("user_id".equals(missing)) {
      return Future.succeededFuture(null);
    }
    return users.findOrCreate(request.appId(), request.email(), request.phone())
        .compose(found -> audit.record(provenBy(request, found.user().id(),
            found.created() || found.user().id().equals(newUserId))))
        .transform(recorded -> Future.failedFuture(failure));
  }

  /** The sign-in's proof events for this user, then {@code user.created} when the sign-in made it. */
  private static List<AuditEvent> provenBy(SignIn request, UUID userId, boolean created) {
    List<AuditEvent> events = new ArrayList<>();
    request.proof().forEach(event -> events.add(event.withUser(userId)));
    if (created && request.userCreated() != null) {
      events.add(request.userCreated().withUser(userId));
    }
    return events;
  }

  /**
   * {@link dev.portcullis.core.Bus#TOKEN_REFRESH}: spends the token and answers with its successor. With a
   * tenant the session switches to it (the user must be a member); without, it keeps its own.
   */
  Future<Grant> refresh(Refresh request) {
    UUID appId = request.appId();
    String token = presentedToken(request.refreshToken());
    byte[] hash = RefreshTokens.hash(token);
    String successor = refreshTokens.successor(token);
    byte[] successorHash = RefreshTokens.hash(successor);
    return app(appId).compose(app -> sessions.rotate(hash, successorHash, appId, request.tenantId())
        .compose(rotated -> rotated != null
            ? viewsRefreshed(rotated)
                .compose(ignored ->
                    answerRefresh(app, rotated.session(), rotated.oidc(), successor, false, request))
            : judgeUnspendable(app, hash, successor, successorHash, request)));
  }

  /**
   * A session that switched tenant has other roles and another tid: the user's change marker makes every
   * process's cached view of it ({@link Introspection}) reload, so {@code /auth/me} shows the switch at once.
   */
  private Future<Void> viewsRefreshed(SessionStore.Rotation rotated) {
    return rotated.tenantSwitched() ? userChanges.changed(rotated.session().userId()) : Future.succeededFuture();
  }

  /**
   * {@link dev.portcullis.core.Bus#TOKEN_REVOKE}: the admin API's revocations (one session, a tenant's sessions,
   * or a user's), published to every process before the answer, and audited with who asked.
   */
  Future<Revoked> revoke(Revoke request) {
    UUID appId = request.appId();
    SessionStore.Events events = SessionRevocations.events(appId, request.reason(), request.requestId(),
        request.clientIp(), request.actor(), List.of());
    Future<SessionStore.Revocation> revoked;
    if (request.sessionId() != null) {
      revoked = sessions.revokeInApp(appId, request.sessionId(), events);
    } else if (request.tenantId() != null) {
      revoked = sessions.revokeTenant(appId, request.tenantId(), request.userId(), events);
    } else if (request.userId() != null) {
      revoked = sessions.revokeAll(appId, request.userId(), request.exceptSessionId(), events);
    } else {
      return Future.failedFuture(ApiException.invalid("session_id", "a session, a tenant or a user is required"));
    }
    return revoked.compose(done -> afterRevocation(done, request.reason()))
        .map(done -> new Revoked(done.owners().size()));
  }

  /** {@link dev.portcullis.core.Bus#TOKEN_LOGOUT}: revokes the token's session, or every session of its user. */
  Future<LoggedOut> logout(Logout request) {
    UUID appId = request.appId();
    String token = presentedToken(request.refreshToken());
    boolean everywhere = request.everywhere();
    return app(appId)
        .compose(app -> sessions.inspect(RefreshTokens.hash(token), app.settings().refreshReuseGraceSeconds()))
        .compose(presented -> {
          if (presented == null || !appId.equals(presented.session().appId()) || !presented.live()) {
            return Future.failedFuture(invalidRefreshToken());
          }
          SessionStore.SessionRow session = presented.session();
          if (session.revoked()) {
            // Its session is over already: the token no longer speaks for the user, so it ends nothing else
            // (with everywhere, an old device's token would otherwise sign the user out of every session).
            return Future.succeededFuture(new LoggedOut(0));
          }
          if (presented.spent() && !(presented.inGrace() && presented.successorLive())) {
            // Only a thief or a replay holds a spent token: its session is revoked as on a refresh with it. The
            // token spent moments ago by a refresh whose successor is unused yet is the client's own race instead.
            return reuseDetected(session, request).map(never -> new LoggedOut(0));
          }
          SessionStore.Events events = SessionRevocations.events(appId, request.reason(), request.requestId(),
              request.clientIp(), null, List.of());
          Future<SessionStore.Revocation> revoked = everywhere
              ? sessions.revokeAll(appId, session.userId(), null, events)
              : sessions.revoke(session.id(), events);
          return revoked.compose(done -> afterRevocation(done, request.reason()))
              .map(done -> new LoggedOut(done.owners().size(), session.userId(), session.id()));
        });
  }

  /**
   * The token could not be spent. Unknown, of another app or expired: invalid. Spent moments ago and its
   * successor not yet used: the same successor again (the client's retry). Spent otherwise, or an older
   * ancestor: reuse, and the session is revoked. Not spent but its session revoked (or its user disabled), or its
   * device without a seat: session_revoked.
   */
  private Future<Grant> judgeUnspendable(App app, byte[] hash, String successor, byte[] successorHash,
                                         Bus.Request request) {
    return sessions.inspect(hash, app.settings().refreshReuseGraceSeconds()).compose(presented -> {
      if (presented == null || !app.id().equals(presented.session().appId()) || !presented.live()) {
        return Future.failedFuture(invalidRefreshToken());
      }
      SessionStore.SessionRow session = presented.session();
      boolean retry = presented.spent() && presented.inGrace() && presented.successorLive()
          && presented.successorHash() != null && Secrets.constantTimeEquals(presented.successorHash(), successorHash);
      if (retry && !presented.ended()) {
        if (request instanceof Refresh refresh && refresh.tenantId() != null
            && !refresh.tenantId().equals(session.tenantId())) {
          // A retry is answered with what its first refresh chose; naming another tenant, it is not that request.
          return Future.failedFuture(new ApiException(ErrorCode.FORBIDDEN,
              "tenant_id: a retry of a spent refresh token must name the tenant its first refresh chose"));
        }
        return presented.seatHeld() ? answerRefresh(app, session, presented.oidc(), successor, true, request)
            : Future.failedFuture(seatGone());
      }
      if (presented.spent() && !retry) {
        return reuseDetected(session, request);
      }
      if (!presented.spent() && !presented.ended() && !presented.seatHeld()) {
        return Future.failedFuture(seatGone());
      }
      if (!presented.spent() && !presented.ended() && request instanceof Refresh refresh
          && refresh.tenantId() != null) {
        // Live, unspent and of a live session: only the tenant check kept the rotation from spending it.
        return Future.failedFuture(notMember());
      }
      return Future.failedFuture(presented.ended()
          ? new ApiException(ErrorCode.SESSION_REVOKED, "refresh_token: its session has been revoked")
          : invalidRefreshToken());
    });
  }

  /**
   * deviceId (in the request): the licensed device the session is bound to, its binding checked by the sender. The
   * request's proof is recorded with {@code token.issued}, in one submission, only when the session stands.
   */
  private Future<Grant> login(App app, UUID userId, boolean newUser, Issue request) {
    String refreshToken = RefreshTokens.newToken();
    return sessions.create(UUID.randomUUID(), userId, app.id(), app.settings().refreshTokenTtl(),
            RefreshTokens.hash(refreshToken), request.tenantId(), request.clientIp(), request.deviceId(),
            request.passwordGeneration())
        .compose(session -> {
          if (session == null) {
            return whyNoSession(userId, app.id(), request);
          }
          List<AuditEvent> events = new ArrayList<>(request.proof());
          events.add(event(AuditEvent.TOKEN_ISSUED, request, session));
          return answer(app, session, refreshToken, newUser, events, request.issuer());
        })
        .onSuccess(answered -> metrics.issued(true));
  }

  private Future<Grant> whyNoSession(UUID userId, UUID appId, Issue request) {
    return sessions.whyNoSession(userId, appId, request.tenantId()).compose(why -> {
      if (why == null) {
        return Future.failedFuture(ApiException.invalid("user.id", "is not a user of this app"));
      }
      if (why.disabled()) {
        return Future.failedFuture(new ApiException(ErrorCode.USER_DISABLED, "the user is disabled"));
      }
      if (request.passwordGeneration() != null && why.passwordGeneration() != request.passwordGeneration()) {
        return Future.failedFuture(new ApiException(ErrorCode.INVALID_CREDENTIALS,
            "the password was changed meanwhile: sign in with the new one"));
      }
      if (!why.member() || request.deviceId() == null) {
        return Future.failedFuture(notMember());
      }
      return Future.failedFuture(new ApiException(ErrorCode.INVALID_LICENSE,
          "device_id: was deactivated, or its license suspended, revoked or expired, during this login"));
    });
  }

  private static ApiException seatGone() {
    return new ApiException(ErrorCode.SESSION_REVOKED,
        "refresh_token: its device was deactivated, or its license suspended, revoked or expired");
  }

  private static ApiException notMember() {
    return ApiException.notTenantMember();
  }

  /**
   * The refreshed session's token response. An OpenID Connect session's access tokens keep the app's OIDC issuer
   * whichever endpoint refreshed it (the token endpoint names it; the REST API's refresh finds it from the session).
   */
  private Future<Grant> answerRefresh(App app, SessionStore.SessionRow session, boolean oidcSession,
                                      String refreshToken, boolean replay, Bus.Request request) {
    AuditEvent refreshed = event(AuditEvent.TOKEN_REFRESHED, request, session).with("grace_replay", replay);
    String named = request instanceof Refresh refresh ? refresh.issuer() : null;
    String issuer = named != null || !oidcSession ? named : accessTokens.oidcIssuer(app.id());
    return answer(app, session, refreshToken, false, refreshed, issuer)
        .onSuccess(answered -> {
          metrics.refreshed(replay);
          metrics.issued(false);
        });
  }

  /**
   * Records the events and signs a fresh access token (as {@code issuer} when not null), then answers the token
   * response. The event goes to the audit verticle first, so its commit runs while this loop signs: the answer
   * waits for the later of the two rather than their sum. The session row is committed already, so the event is
   * true even when the signing fails.
   */
  private Future<Grant> answer(App app, SessionStore.SessionRow session, String refreshToken, boolean newUser,
                               AuditEvent event, String issuer) {
    return answer(app, session, refreshToken, newUser, List.of(event), issuer);
  }

  private Future<Grant> answer(App app, SessionStore.SessionRow session, String refreshToken, boolean newUser,
                               List<AuditEvent> events, String issuer) {
    Future<Void> recorded = audit.record(events);
    Future<String> signed = accessTokens.issue(app, session, issuer);
    return Future.all(recorded, signed)
        .map(both -> response(app, signed.result(), refreshToken, session, newUser));
  }

  /**
   * Revokes the session of a spent token and answers {@code 401 refresh_token_reused}. Every reuse is counted, but
   * only the first of a minute per session is reported (webhook, {@code token.reuse_detected}): later replays of a
   * token, which anyone holding it can send, change nothing and would otherwise flood both.
   */
  private Future<Grant> reuseDetected(SessionStore.SessionRow session, Bus.Request request) {
    metrics.reuseDetected();
    String reportKey = reuseReports.key("reuse-reported", "{" + session.id() + "}");
    return reuseReports.firstOrUnknown(reportKey).compose(report -> {
      if (report) {
        LOG.warn("refresh token reuse detected: revoking session {} of app {} (request {})", session.id(),
            session.appId(), request.requestId());
        securityEvents.publish(SecurityEvents.REFRESH_TOKEN_REUSED, session.appId(), session.userId(), session.id(),
            new JsonObject().put("request_id", request.requestId()));
      }
      // The detection is recorded with the revocation, in its transaction, also when the session was revoked already.
      List<AuditEvent> detected = report
          ? List.of(event(AuditEvent.REFRESH_REUSE_DETECTED, request, session))
          : List.<AuditEvent>of();
      return sessions.revoke(session.id(), SessionRevocations.events(session.appId(), REASON_REUSE,
              request.requestId(), request.clientIp(), null, detected))
          .recover(failed -> report ? reuseReports.forget(reportKey, failed) : Future.failedFuture(failed));
    })
        .compose(done -> afterRevocation(done, REASON_REUSE))
        .compose(stored -> Future.failedFuture(new ApiException(ErrorCode.REFRESH_TOKEN_REUSED,
            "refresh_token: was already used; its session has been revoked")));
  }

  /**
   * The revocation committed with its events: publishes it to every process (the markers, retried when Redis
   * fails) and records the events in the chain; never fails from here on (see {@link SessionRevocations}).
   */
  private Future<SessionStore.Revocation> afterRevocation(SessionStore.Revocation revocation, String reason) {
    return published.published(revocation)
        .onSuccess(done -> metrics.revoked(reason, done.owners().size()));
  }

  private Future<App> app(UUID appId) {
    return apps.find(appId).compose(app -> app
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(AppDirectory.invalidClient())));
  }

  private static Grant response(App app, String accessToken, String refreshToken, SessionStore.SessionRow session,
                                boolean newUser) {
    return new Grant(accessToken, session.accessTokenTtl(app.settings().accessTokenTtl()), refreshToken,
        session.refreshTokenTtl(), session.userId(), session.user(), newUser);
  }

  private static AuditEvent event(String type, Bus.Request request, SessionStore.SessionRow session) {
    return AuditEvent.of(type, session.appId(), request.requestId(), request.clientIp())
        .withUser(session.userId())
        .with("session_id", session.id().toString());
  }

  private static String presentedToken(String token) {
    if (token == null || token.isBlank() || token.length() > RefreshTokens.MAX_LENGTH) {
      throw invalidRefreshToken();
    }
    return token;
  }

  static ApiException invalidRefreshToken() {
    return new ApiException(ErrorCode.INVALID_REFRESH_TOKEN, "refresh_token is unknown or expired");
  }
}
