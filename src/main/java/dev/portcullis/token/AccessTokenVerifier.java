package dev.portcullis.token;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Issuers;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Verifies an access token the way RFC 8725 asks: the header is checked before any key is touched (alg must
 * be exactly RS256, typ at+jwt, no critical extensions), the key comes only from our own keys by kid, and
 * then signature, issuer, audience (the slug of the key's app), app and expiry. Every failure is
 * {@code 401 invalid_token}. A token verified before by this instance is found in {@link VerifiedTokens};
 * its key and expiry are checked again on every call.
 */
final class AccessTokenVerifier {

  /** The verified claims Portcullis relies on. */
  record Claims(UUID appId, UUID userId, UUID sessionId) {
  }

  /**
   * Seconds a token is still accepted past its {@code exp}: one, the resolution of {@code exp}, so that a process a
   * fraction of a second behind the issuer does not refuse it early. API.md has an expired token refused, and a
   * client that waits out its token's lifetime must see that (h48: 30 s of leeway answered 200 for half a minute);
   * processes kept on NTP differ by far less, and a skew past 5 s is logged and alerted on (README, "Clocks").
   */
  public static final int EXPIRY_LEEWAY_SECONDS = 1;

  private static final int MAX_TOKEN_LENGTH = 8 * 1024;
  private static final Pattern KID = Pattern.compile("[A-Za-z0-9_-]{8,64}");
  private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();
  private static final Base64.Encoder BASE64URL_OUT = Base64.getUrlEncoder().withoutPadding();

  private final String issuer;
  private final VerificationKeys keys;
  private final VerifiedTokens verified = new VerifiedTokens();

  AccessTokenVerifier(String issuer, VerificationKeys keys) {
    this.issuer = issuer;
    this.keys = keys;
  }

  /** The token's claims; {@code callerIp}, when not null, is counted and limited if it names a made-up kid. */
  Future<Claims> verify(String token, String callerIp) {
    VerifiedTokens.Verified known = token == null ? null : verified.get(token);
    if (known != null) {
      return keys.find(known.kid(), callerIp).compose(key -> recheck(token, known, key));
    }
    String[] parts = token == null || token.length() > MAX_TOKEN_LENGTH ? new String[0] : token.split("\\.", -1);
    if (parts.length != 3 || parts[2].isEmpty()) {
      return Future.failedFuture(invalid("is not a signed JWT"));
    }
    JsonObject header = json(parts[0]);
    if (header == null || !Signer.ALGORITHM.equals(header.getValue("alg"))) {
      return Future.failedFuture(invalid("must be signed with RS256"));
    }
    if (!isAccessTokenType(header.getValue("typ")) || header.containsKey("crit")) {
      return Future.failedFuture(invalid("is not an access token"));
    }
    Object kid = header.getValue("kid");
    if (!(kid instanceof String id) || !KID.matcher(id).matches()) {
      return Future.failedFuture(invalid("has no valid kid"));
    }
    return keys.find(id, callerIp).compose(key -> check(key, id, parts)).map(checked -> {
      verified.put(token, checked);
      return checked.claims();
    });
  }

  /** A token verified before: still signed by a published key of its app, and not expired. */
  private Future<Claims> recheck(String token, VerifiedTokens.Verified known, VerificationKeys.Key key) {
    OffsetDateTime now = OffsetDateTime.now();
    if (key == null || !key.publishedAt(now) || !key.appId().equals(known.claims().appId())) {
      verified.forget(token);
      return Future.failedFuture(invalid("is signed with an unknown key"));
    }
    if (known.expiresAtEpochSecond() + EXPIRY_LEEWAY_SECONDS <= now.toEpochSecond()) {
      verified.forget(token);
      return Future.failedFuture(invalid("has expired"));
    }
    return Future.succeededFuture(known.claims());
  }

  private Future<VerifiedTokens.Verified> check(VerificationKeys.Key key, String kid, String[] parts) {
    OffsetDateTime now = OffsetDateTime.now();
    if (key == null || !key.publishedAt(now)) {
      return Future.failedFuture(invalid("is signed with an unknown key"));
    }
    byte[] signature = canonical(parts[2]);
    byte[] signingInput = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
    if (signature == null || !key.verify(signature, signingInput)) {
      return Future.failedFuture(invalid("has a bad signature"));
    }
    JsonObject claims = json(parts[1]);
    if (claims == null || !issuedHere(claims, key) || !audienceIs(claims.getValue("aud"), key.slug())) {
      return Future.failedFuture(invalid("is not for this issuer and audience"));
    }
    Object exp = claims.getValue("exp");
    if (!(exp instanceof Number expires) || expires.longValue() + EXPIRY_LEEWAY_SECONDS <= now.toEpochSecond()) {
      return Future.failedFuture(invalid("has expired"));
    }
    UUID appId = uuid(claims.getValue("app_id"));
    UUID userId = uuid(claims.getValue("sub"));
    UUID sessionId = uuid(claims.getValue("sid"));
    if (!key.appId().equals(appId) || userId == null || sessionId == null) {
      return Future.failedFuture(invalid("does not carry this app's claims"));
    }
    return Future.succeededFuture(
        new VerifiedTokens.Verified(new Claims(appId, userId, sessionId), kid, expires.longValue()));
  }

  /** The gateway's issuer, or the OpenID Connect issuer of the key's app (its sessions' tokens carry that). */
  private boolean issuedHere(JsonObject claims, VerificationKeys.Key key) {
    Object iss = claims.getValue("iss");
    return issuer.equals(iss) || Issuers.oidc(issuer, key.appId()).equals(iss);
  }

  private static boolean isAccessTokenType(Object typ) {
    if (!(typ instanceof String type)) {
      return false;
    }
    String lower = type.toLowerCase(Locale.ROOT);
    return lower.equals(Signer.TYPE) || lower.equals("application/" + Signer.TYPE);
  }

  private static boolean audienceIs(Object aud, String slug) {
    if (aud instanceof String single) {
      return single.equals(slug);
    }
    return aud instanceof JsonArray many && many.size() == 1 && slug.equals(many.getValue(0));
  }

  private static JsonObject json(String segment) {
    byte[] bytes = decode(segment);
    if (bytes == null) {
      return null;
    }
    try {
      return new JsonObject(new String(bytes, StandardCharsets.UTF_8));
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  /**
   * The signature's bytes, only from their one canonical spelling: base64url leaves spare bits in the last
   * character, so one signature has several spellings, and each would verify (and take its own place among the
   * verified tokens) as another token.
   */
  private static byte[] canonical(String segment) {
    byte[] bytes = decode(segment);
    return bytes != null && BASE64URL_OUT.encodeToString(bytes).equals(segment) ? bytes : null;
  }

  private static byte[] decode(String segment) {
    try {
      return BASE64URL.decode(segment);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
  }

  private static UUID uuid(Object value) {
    if (!(value instanceof String text) || text.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException notUuid) {
      return null;
    }
  }

  static ApiException invalid(String problem) {
    return new ApiException(ErrorCode.INVALID_TOKEN, "the access token " + problem);
  }
}
