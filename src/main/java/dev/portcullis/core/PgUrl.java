package dev.portcullis.core;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** A {@code postgresql://user:pass@host:port/db} URL, split into what the reactive and JDBC drivers need. */
public record PgUrl(String host, int port, String database, String user, String password) {

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
    }
    return new PgUrl(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), decode(path), user, password);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  public PgUrl withDatabase(String other) {
    return new PgUrl(host, port, other, user, password);
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
    return "postgresql://" + auth + "@" + host + ":" + port + "/" + database;
  }

  private static String encode(String text) {
    return java.net.URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String decode(String text) {
    return URLDecoder.decode(text, StandardCharsets.UTF_8);
  }
}
