package dev.portcullis.license;

import dev.portcullis.app.App;
import dev.portcullis.token.LicenseCertificates;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * The claims of an offline certificate for one device of a license: {@code sub} the license, {@code did} the
 * device, {@code fpr} the SHA-256 of its fingerprint (hex), {@code ent}, {@code lic_exp} (null when perpetual),
 * and {@code exp} the earlier of now + the policy's {@code offline_ttl} and {@code lic_exp}. Signed through the
 * token package, which adds {@code iss}, {@code aud} ({@code <slug>:license}) and {@code iat}.
 */
final class Certificates {

  private final LicenseCertificates signer;

  Certificates(LicenseCertificates signer) {
    this.signer = signer;
  }

  Future<String> issue(App app, License license, UUID deviceId, String fingerprint) {
    long now = System.currentTimeMillis() / 1000;
    Long licenseExpiry = license.expiresAt() == null ? null : license.expiresAt().toEpochSecond();
    long expires = now + license.offlineTtl();
    if (licenseExpiry != null) {
      expires = Math.min(expires, licenseExpiry);
    }
    JsonObject claims = new JsonObject()
        .put("sub", license.id().toString())
        .put("app_id", app.id().toString())
        .put("did", deviceId.toString())
        .put("fpr", sha256Hex(fingerprint))
        .put("ent", license.entitlements().copy())
        .put("lic_exp", licenseExpiry)
        .put("exp", expires)
        .put("jti", UUID.randomUUID().toString());
    // Postgres judged the licence live; a pod whose clock runs ahead may already be past lic_exp: never iat > exp.
    return signer.sign(app, claims, Math.min(now, expires));
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
