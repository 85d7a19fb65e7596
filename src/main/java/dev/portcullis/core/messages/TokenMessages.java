package dev.portcullis.core.messages;

import dev.portcullis.core.Bus;
import io.vertx.core.json.JsonObject;
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
   */
  public record Issue(UUID appId, UUID userId, boolean newUser, String requestId, String clientIp,
                      UUID tenantId, UUID deviceId, List<String> entitlements) implements Bus.Request {

    public static Issue login(UUID appId, UUID userId, boolean newUser, String requestId, String clientIp) {
      return new Issue(appId, userId, newUser, requestId, clientIp, null, null, null);
    }

    public Issue withTenant(UUID tenant) {
      return new Issue(appId, userId, newUser, requestId, clientIp, tenant, deviceId, entitlements);
    }

    public Issue withDevice(UUID device, List<String> granted) {
      return new Issue(appId, userId, newUser, requestId, clientIp, tenantId, device,
          granted == null ? null : List.copyOf(granted));
    }
  }

  /** Spends a refresh token of the app. */
  public record Refresh(UUID appId, String refreshToken, String requestId, String clientIp) implements Bus.Request {
  }

  /** Revokes the refresh token's session, or with {@code everywhere} every session of its user in the app. */
  public record Logout(UUID appId, String refreshToken, boolean everywhere, String requestId, String clientIp)
      implements Bus.Request {
  }

  /** Verifies an access token; with {@code appId} (may be null), a token of any other app is {@code invalid_token}. */
  public record Introspect(String accessToken, UUID appId, String requestId) implements Bus.Request {
  }

  /** The token response of API.md. {@code user} is the user's public JSON; it is never changed once sent. */
  public record Grant(String accessToken, int expiresIn, String refreshToken, int refreshExpiresIn, UUID userId,
                      JsonObject user, boolean newUser) {

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

  /** How many sessions a logout revoked. */
  public record LoggedOut(int revoked) {

    public JsonObject toJson() {
      return new JsonObject().put("revoked", revoked);
    }
  }

  /** A live access token: whose it is, and the user and session as {@code /auth/me} shows them (never changed). */
  public record Introspected(UUID appId, UUID userId, JsonObject user, JsonObject session) {

    public JsonObject toJson() {
      return new JsonObject()
          .put("user", user)
          .put("session", session)
          .put("app_id", appId.toString());
    }
  }
}
