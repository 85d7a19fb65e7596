package dev.portcullis.core.messages;

import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.Bus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/** The Token verticle's messages: requests and replies of {@code Bus.TOKEN_*}. */
public final class TokenMessages {

  private TokenMessages() {
  }

  /**
   * A new session for a user who just proved who they are. The optional parts (null when absent) are set with
   * the {@code with...} methods, so a sender names only what it has and a new option is one component and one
   * method here.
   *
   * @param tenantId the tenant the session is bound to (the {@code tid} claim)
   * @param deviceId the device the session runs on (the {@code did} claim)
   * @param entitlements what the device's license grants (the {@code ent} claim)
   * @param issuer   the {@code iss} of the session's access tokens when not the gateway's (OpenID Connect's
   *                 per-app issuer)
   * @param passwordGeneration the password generation the login proved: no session when the user's password has
   *                 changed since
   * @param proof    the events of how the user proved who they are, recorded with {@code token.issued} (before it) as
   *                 one submission once the session stands
   */
  public record Issue(UUID appId, UUID userId, boolean newUser, String requestId, String clientIp,
                      UUID tenantId, UUID deviceId, List<String> entitlements, String issuer,
                      Long passwordGeneration, List<AuditEvent> proof) implements Bus.Request {

    public Issue {
      proof = proof == null ? List.of() : List.copyOf(proof);
    }

    public static Issue login(UUID appId, UUID userId, boolean newUser, String requestId, String clientIp) {
      return new Issue(appId, userId, newUser, requestId, clientIp, null, null, null, null, null, null);
    }

    public Issue withTenant(UUID tenant) {
      return new Issue(appId, userId, newUser, requestId, clientIp, tenant, deviceId, entitlements, issuer,
          passwordGeneration, proof);
    }

    public Issue withDevice(UUID device, List<String> granted) {
      return new Issue(appId, userId, newUser, requestId, clientIp, tenantId, device,
          granted == null ? null : List.copyOf(granted), issuer, passwordGeneration, proof);
    }

    public Issue withIssuer(String oidcIssuer) {
      return new Issue(appId, userId, newUser, requestId, clientIp, tenantId, deviceId, entitlements, oidcIssuer,
          passwordGeneration, proof);
    }

    /** A password login's session: only while the password is still the one proved, recorded with its success. */
    public Issue withPasswordProof(long generation, AuditEvent succeeded) {
      return new Issue(appId, userId, newUser, requestId, clientIp, tenantId, deviceId, entitlements, issuer,
          generation, List.of(succeeded));
    }
  }

  /**
   * A new session for whoever owns this email or phone (exactly one is non-null) in the app, made a user first
   * when nobody does: the user, the session and its first refresh token are one statement. {@code proof} are
   * the events of how the identity was proven (e.g. {@code otp.verified}) and {@code userCreated} the event of
   * a user made by this login, all without a user: the token service names the user in each and records them
   * with {@code token.issued}, in that order, as one submission; the proof's events (and {@code userCreated})
   * also when no session can be made, as the proof is spent. {@code tenantId} may be null.
   */
  public record SignIn(UUID appId, String email, String phone, UUID tenantId, String requestId, String clientIp,
                       List<AuditEvent> proof, AuditEvent userCreated) implements Bus.Request {

    public SignIn {
      proof = List.copyOf(proof);
    }
  }

  /**
   * Spends a refresh token of the app. {@code tenantId} (may be null) switches the session to that tenant; null
   * keeps the session's tenant. {@code issuer} (may be null) is the {@code iss} of the new access token when not
   * the gateway's (OpenID Connect's per-app issuer).
   */
  public record Refresh(UUID appId, String refreshToken, String requestId, String clientIp, UUID tenantId,
                        String issuer) implements Bus.Request {

    public Refresh(UUID appId, String refreshToken, String requestId, String clientIp, UUID tenantId) {
      this(appId, refreshToken, requestId, clientIp, tenantId, null);
    }

    public Refresh(UUID appId, String refreshToken, String requestId, String clientIp) {
      this(appId, refreshToken, requestId, clientIp, null, null);
    }
  }

  /**
   * Signs an OpenID Connect ID token with the app's current key (header {@code typ: JWT}); the sender has built
   * every claim.
   */
  public record SignIdToken(UUID appId, JsonObject claims, String requestId) implements Bus.Request {
  }

  /** A signed ID token, JWS compact. */
  public record SignedIdToken(String idToken) {
  }

  /**
   * The admin API's revocations: one session ({@code sessionId}), the sessions bound to a tenant
   * ({@code tenantId}, of one user when {@code userId} is set too), or every session of a user ({@code userId}).
   * {@code actor} is who asked (audit data: the operator or an owner id).
   */
  public record Revoke(UUID appId, UUID sessionId, UUID tenantId, UUID userId, String reason, JsonObject actor,
                       String requestId, String clientIp, UUID exceptSessionId) implements Bus.Request {

    public Revoke(UUID appId, UUID sessionId, UUID tenantId, UUID userId, String reason, JsonObject actor,
                  String requestId, String clientIp) {
      this(appId, sessionId, tenantId, userId, reason, actor, requestId, clientIp, null);
    }

    /** Every session of a user but {@code kept}: a password change keeps the session that made it. */
    public static Revoke userBut(UUID appId, UUID userId, UUID kept, String reason, JsonObject actor,
                                 String requestId, String clientIp) {
      return new Revoke(appId, null, null, userId, reason, actor, requestId, clientIp, kept);
    }

    public static Revoke session(UUID appId, UUID sessionId, String reason, JsonObject actor, String requestId,
                                 String clientIp) {
      return new Revoke(appId, sessionId, null, null, reason, actor, requestId, clientIp);
    }

    public static Revoke user(UUID appId, UUID userId, String reason, JsonObject actor, String requestId,
                              String clientIp) {
      return new Revoke(appId, null, null, userId, reason, actor, requestId, clientIp);
    }

    public static Revoke tenant(UUID appId, UUID tenantId, UUID userId, String reason, JsonObject actor,
                                String requestId, String clientIp) {
      return new Revoke(appId, null, tenantId, userId, reason, actor, requestId, clientIp);
    }
  }

  /** How many sessions a revocation revoked. */
  public record Revoked(int revoked) {
  }

  /**
   * Revokes the refresh token's session, or with {@code everywhere} every session of its user in the app;
   * {@code reason} names it in the {@code session.revoked} events and the metrics.
   */
  public record Logout(UUID appId, String refreshToken, boolean everywhere, String requestId, String clientIp,
                       String reason) implements Bus.Request {

    public static final String REASON = "logout";

    public Logout(UUID appId, String refreshToken, boolean everywhere, String requestId, String clientIp) {
      this(appId, refreshToken, everywhere, requestId, clientIp, REASON);
    }
  }

  /**
   * Verifies an access token; with {@code appId} (may be null), a token of any other app is {@code invalid_token}.
   * {@code callerIp}: the address that presented the token when it is anonymous (a made-up kid counts against it),
   * null when the caller authenticated first.
   */
  public record Introspect(String accessToken, UUID appId, String requestId, String callerIp) implements Bus.Request {
  }

  /** The token response of API.md. {@code user} is the user's public JSON; it is never changed once sent. */
  public record Grant(String accessToken, int expiresIn, String refreshToken, int refreshExpiresIn, UUID userId,
                      JsonObject user, boolean newUser) {

    /** The session of this grant: the {@code sid} of the access token the token service has just signed. */
    public UUID sessionId() {
      String[] parts = accessToken.split("\\.");
      JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
      return UUID.fromString(claims.getString("sid"));
    }

    public JsonObject toJson() {
      return new JsonObject()
          .put("token_type", "Bearer")
          .put("access_token", accessToken)
          .put("expires_in", expiresIn)
          .put("refresh_token", refreshToken)
          .put("refresh_expires_in", refreshExpiresIn)
          .put("user", user)
          .put("new_user", newUser);
    }
  }

  /** How many sessions a logout revoked, and whose token it was: its user and session (null when it revoked none). */
  public record LoggedOut(int revoked, UUID userId, UUID sessionId) {

    public LoggedOut(int revoked) {
      this(revoked, null, null);
    }

    public JsonObject toJson() {
      return new JsonObject().put("revoked", revoked);
    }
  }

  /**
   * A live access token: whose it is, the user and session as {@code /auth/me} shows them (never changed), and
   * the roles its tokens carry (app-wide, plus the tenant's when the session is bound to one).
   */
  public record Introspected(UUID appId, UUID userId, JsonObject user, JsonObject session, List<String> roles) {

    public Introspected(UUID appId, UUID userId, JsonObject user, JsonObject session) {
      this(appId, userId, user, session, List.of());
    }

    public JsonObject toJson() {
      return new JsonObject()
          .put("user", user)
          .put("session", session)
          .put("roles", new JsonArray(roles))
          .put("app_id", appId.toString());
    }
  }
}
