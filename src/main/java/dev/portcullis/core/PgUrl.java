package dev.portcullis.core;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A {@code postgresql://user:pass@host:port/db} URL, split into what the reactive and JDBC drivers need. Of libpq's
 * parameters it takes {@code sslmode} (disable, allow, prefer, require, verify-ca, verify-full; both drivers get
 * it) and {@code sslrootcert} (a PEM file of the CA to trust; without it verify-ca and verify-full trust the JVM's
 * CAs); a few that change nothing that matters here (application_name, connect_timeout, keepalives…) are ignored,
 * and any other is refused rather than silently ignored, as a TLS setting once was.
 */
public record PgUrl(String host, int port, String database, String user, String password, String sslMode,
                    String sslRootCert) {

  public static final List<String> SSL_MODES =
      List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  /** libpq parameters whose absence changes nothing that matters here: accepted and ignored. */
  private static final List<String> HARMLESS = List.of("application_name", "fallback_application_name",
      "connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout");

  public PgUrl(String host, int port, String database, String user, String password) {
    this(host, port, database, user, password, null, null);
  }

  public static PgUrl parse(String key, String value) {
    URI uri;
    try {
      uri = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + " is not a valid postgresql:// URL");
    }
    if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException(key + " must look like postgresql://user:pass@host:port/db");
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      throw new IllegalArgumentException(key + ": the port must be 1 to 65535");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceFirst("^/", "");
    if (path.isEmpty()) {
      throw new IllegalArgumentException(key + " must name a database: postgresql://user@host:port/db");
    }
    String user = "postgres";
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
      if (password != null && password.toUpperCase(java.util.Locale.ROOT).contains("CHANGE-ME")) {
        // k8s/secret.example.yaml's placeholder: a trust-authenticated Postgres would take it and say nothing (h98).
        throw new IllegalArgumentException(key + "'s password is an example's CHANGE-ME placeholder: set the real one");
      }
    }
    String sslMode = null;
    String sslRootCert = null;
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        String[] parts = pair.split("=", 2);
        String name = decode(parts[0]);
        String given = parts.length > 1 ? decode(parts[1]) : "";
        switch (name) {
          case "sslmode" -> {
            if (!SSL_MODES.contains(given)) {
              throw new IllegalArgumentException(key + ": sslmode must be one of " + String.join(", ", SSL_MODES));
            }
            sslMode = given;
          }
          case "sslrootcert" -> sslRootCert = given;
          default -> {
            if (!HARMLESS.contains(name)) {
              throw new IllegalArgumentException(key + ": unknown parameter " + name
                  + " (sslmode and sslrootcert are understood; " + String.join(", ", HARMLESS) + " are ignored)");
            }
          }
        }
      }
    }
    if (sslRootCert != null && (sslMode == null || !sslMode.startsWith("verify-"))) {
      throw new IllegalArgumentException(key + ": sslrootcert needs sslmode=verify-ca or verify-full");
    }
    return new PgUrl(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), decode(path), user, password, sslMode,
        sslRootCert);
  }

  /** The pgjdbc URL, TLS parameters included (verify-* without a root certificate trusts the JVM's CAs). */
  public String jdbcUrl() {
    String url = "jdbc:postgresql://" + host + ":" + port + "/" + database;
    if (sslMode == null) {
      return url;
    }
    url += "?sslmode=" + sslMode;
    if (sslRootCert != null) {
      url += "&sslrootcert=" + encode(sslRootCert);
    } else if (sslMode.startsWith("verify-")) {
      url += "&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory";
    }
    return url;
  }

  public PgUrl withDatabase(String other) {
    return new PgUrl(host, port, other, user, password, sslMode, sslRootCert);
  }

  /** The URL without its password, for log lines. */
  public String redacted() {
    return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
  }

  /** The redacted form: a record's default toString would print the password. */
  @Override
  public String toString() {
    return redacted();
  }

  public String toUrl() {
    String auth = password == null ? encode(user) : encode(user) + ":" + encode(password);
    String url = "postgresql://" + auth + "@" + host + ":" + port + "/" + database;
    if (sslMode != null) {
      url += "?sslmode=" + sslMode + (sslRootCert == null ? "" : "&sslrootcert=" + encode(sslRootCert));
    }
    return url;
  }

  private static String encode(String text) {
    return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }
}
