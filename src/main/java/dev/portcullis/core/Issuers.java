package dev.portcullis.core;

import java.util.UUID;

/** The issuers the gateway signs as: its own ({@code PORTCULLIS_ISSUER}) and one OpenID Connect issuer per app. */
public final class Issuers {

  private Issuers() {
  }

  /** {@code {PORTCULLIS_ISSUER}/oidc/{app_id}}: the OpenID Connect issuer of one app. */
  public static String oidc(String gatewayIssuer, UUID appId) {
    return stripSlash(gatewayIssuer) + "/oidc/" + appId;
  }

  private static String stripSlash(String issuer) {
    return issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
  }
}
