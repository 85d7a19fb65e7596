package dev.portcullis.license;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Offline license certificates")
class CertificateTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  private static TestGateway gateway;
  private static LicenseFixture licenses;

  @BeforeAll
  static void app() {
    licenses = new LicenseFixture(gateway, gateway.createApp("certificate-app"));
  }

  @Test
  @DisplayName("a checked-out certificate verifies with nimbus-jose-jwt against the app's JWKS, with the license's claims")
  void verifiesAgainstTheJwks() throws Exception {
    JsonObject policy = licenses.policy(new JsonObject().put("name", "Offline").put("max_devices", 2)
        .put("entitlements", TestGateway.array("export")).put("offline_ttl", 3600));
    JsonObject license = licenses.license(policy);
    String deviceId = licenses.activated(license.getString("key"), "fp-offline");
    ApiResponse checkout = licenses.device("checkout", license.getString("key"), "fp-offline");
    assertEquals(200, checkout.status(), checkout.body());
    String certificate = checkout.json().getString("certificate");

    JWTClaimsSet claims = offlineCheck(certificate, "certificate-app");
    assertEquals(license.getString("license_id"), claims.getSubject());
    assertEquals(deviceId, claims.getStringClaim("did"));
    assertEquals(sha256Hex("fp-offline"), claims.getStringClaim("fpr"));
    assertEquals(List.of("export"), claims.getStringListClaim("ent"));
    assertEquals(gateway.config().issuer(), claims.getIssuer());
    long lifetime = (claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()) / 1000;
    assertEquals(3600, lifetime, "exp = iat + offline_ttl for a perpetual license");
    assertNull(claims.getClaim("lic_exp"));
  }

  @Test
  @DisplayName("a certificate's key stays in the JWKS after a key rotation until the certificate expires, not the access tokens")
  void keyPublishedWhileItsCertificatesLive() throws Exception {
    JsonObject policy = licenses.policy(new JsonObject().put("name", "Week offline").put("max_devices", 1)
        .put("offline_ttl", 7 * 86_400));
    String key = licenses.license(policy).getString("key");
    licenses.activated(key, "fp-rotation");
    ApiResponse checkout = licenses.device("checkout", key, "fp-rotation");
    assertEquals(200, checkout.status(), checkout.body());
    String certificate = checkout.json().getString("certificate");
    String kid = com.nimbusds.jose.JWSObject.parse(certificate).getHeader().getKeyID();

    ApiResponse rotated = gateway.http().post("/v1/apps/" + licenses.appId() + "/rotate-signing-key", null,
        Http.bearer(TestGateway.ADMIN_KEY));
    assertEquals(200, rotated.status(), rotated.body());
    long expires = offlineCheck(certificate, "certificate-app").getExpirationTime().getTime() / 1000;
    long publishedUntil = licenses.count("SELECT extract(epoch FROM publish_until)::bigint FROM signing_keys "
        + "WHERE kid = ? AND retired_at IS NOT NULL", kid);
    assertTrue(publishedUntil >= expires, "published until " + publishedUntil + ", the certificate lives until " + expires);
  }

  @Test
  @DisplayName("a certificate of a license expiring before offline_ttl ends expires with the license")
  void expiresWithTheLicense() throws Exception {
    JsonObject policy = licenses.policy(new JsonObject().put("name", "Month").put("max_devices", 1)
        .put("duration_seconds", 600));
    JsonObject license = licenses.license(policy);
    ApiResponse activated = licenses.device("activate", license.getString("key"), "fp-month");
    assertEquals(201, activated.status(), activated.body());
    JWTClaimsSet claims = offlineCheck(activated.json().getString("certificate"), "certificate-app");
    long licenseExpiry = claims.getLongClaim("lic_exp");
    assertEquals(licenseExpiry, claims.getExpirationTime().getTime() / 1000);
    long expected = java.time.Instant.parse(license.getString("expires_at")).getEpochSecond();
    assertEquals(expected, licenseExpiry);
  }

  @Test
  @DisplayName("/auth/me refuses a certificate as an access token with 401 invalid_token")
  void isNoAccessToken() {
    JsonObject license = licenses.license(licenses.policy(1));
    ApiResponse activated = licenses.device("activate", license.getString("key"), "fp-me");
    String certificate = activated.json().getString("certificate");
    assertEquals("license+jwt", LicenseFixture.header(certificate).getString("typ"));
    assertEquals("certificate-app:license", LicenseFixture.claims(certificate).getString("aud"));
    ApiResponse me = gateway.http().get("/auth/me", Http.bearer(certificate));
    assertEquals(401, me.status(), me.body());
    assertEquals("invalid_token", me.error());
  }

  @Test
  @DisplayName("checkout needs an activated device and an active license")
  void checkoutRules() {
    JsonObject license = licenses.license(licenses.policy(1));
    String key = license.getString("key");
    ApiResponse unknown = licenses.device("checkout", key, "fp-never");
    assertEquals(404, unknown.status());
    assertEquals("not_found", unknown.error());
    licenses.activated(key, "fp-then");
    licenses.admin("POST", "/licenses/" + license.getString("license_id") + "/suspend", null);
    ApiResponse suspended = licenses.device("checkout", key, "fp-then");
    assertEquals(403, suspended.status());
    assertEquals("license_suspended", suspended.error());
  }

  /** The README's offline check: signature by the app's JWKS, typ license+jwt, aud <slug>:license, not expired. */
  private static JWTClaimsSet offlineCheck(String certificate, String slug) throws Exception {
    JWKSet jwks = JWKSet.parse(gateway.http().get("/v1/apps/" + licenses.appId() + "/jwks.json").body());
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType("license+jwt")));
    processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(jwks)));
    processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(slug + ":license",
        new JWTClaimsSet.Builder().issuer(gateway.config().issuer()).build(),
        Set.of("sub", "did", "fpr", "exp", "iat")));
    JWTClaimsSet claims = processor.process(certificate, null);
    assertTrue(claims.getExpirationTime().after(new java.util.Date()));
    UUID.fromString(claims.getStringClaim("did"));
    return claims;
  }

  private static String sha256Hex(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }
}
