package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Callback URLs: absolute {@code https} URLs (or {@code http} on localhost / 127.0.0.1 for development) in
 * ASCII, no wildcards, no fragments, no query parameter the sign-in's answer adds, stored exactly as given and
 * later matched exactly.
 */
public final class CallbackUrls {

  private static final int MAX_URLS = 20;
  private static final int MAX_LENGTH = 2048;
  private static final int MAX_PORT = 65_535;
  /** RFC 1035's limits of a domain name and of each of its labels. */
  private static final int MAX_HOST = 253;
  private static final int MAX_LABEL = 63;
  private static final Set<String> RESERVED_PARAMETERS =
      Set.of("code", "state", "iss", "error", "error_description", "error_uri", "auth_code");

  private CallbackUrls() {
  }

  /**
   * The origin of a URL as a browser serialises it in {@code Origin} (RFC 6454): scheme and host in lower case, and
   * the port only when it is not the scheme's own. A callback registered as {@code https://Shop.example.com:443/cb}
   * is at the origin {@code https://shop.example.com}; null for what is no http(s) URL with a host.
   */
  public static String origin(String url) {
    try {
      return origin(new URI(url));
    } catch (URISyntaxException malformed) {
      return null;
    }
  }

  /** {@link #origin(String)} of a parsed URL. */
  public static String origin(URI url) {
    String scheme = url.getScheme() == null ? null : url.getScheme().toLowerCase(Locale.ROOT);
    if (url.getHost() == null || !("https".equals(scheme) || "http".equals(scheme))) {
      return null;
    }
    int port = url.getPort();
    boolean ownPort = port == -1 || port == 443 && scheme.equals("https") || port == 80 && scheme.equals("http");
    return scheme + "://" + url.getHost().toLowerCase(Locale.ROOT) + (ownPort ? "" : ":" + port);
  }

  public static List<String> validate(List<String> urls) {
    if (urls == null) {
      return List.of();
    }
    if (urls.size() > MAX_URLS) {
      throw ApiException.invalid("callback_urls", "at most " + MAX_URLS + " URLs");
    }
    Set<String> seen = new HashSet<>();
    for (String url : urls) {
      check(url);
      if (!seen.add(url)) {
        throw ApiException.invalid("callback_urls", "'" + shorten(url) + "' is listed twice");
      }
    }
    return List.copyOf(urls);
  }

  private static void check(String url) {
    String field = "callback_urls";
    if (url.length() > MAX_LENGTH) {
      throw ApiException.invalid(field, "'" + shorten(url) + "' must be at most " + MAX_LENGTH + " characters");
    }
    if (url.contains("*")) {
      throw ApiException.invalid(field, "'" + shorten(url) + "' must be an absolute URL without wildcards");
    }
    if (!url.chars().allMatch(c -> c > ' ' && c <= '~')) {
      // Sent back as a Location header as it is: %-encoded, as a browser's redirect_uri arrives.
      throw ApiException.invalid(field, "'" + shorten(url) + "' must be printable ASCII without spaces: "
          + "%-encode other characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw ApiException.invalid(field, "'" + shorten(url) + "' is not a valid URL");
    }
    String host = uri.getHost();
    if (host == null && uri.getRawAuthority() != null && uri.getRawAuthority().matches(".*:[0-9]{6,}")) {
      // A port beyond int: java.net.URI then reads the authority as a registry name, with no host.
      throw ApiException.invalid(field, "'" + shorten(url) + "' has no valid port (1–" + MAX_PORT + ")");
    }
    if (uri.getRawUserInfo() != null || host == null && uri.getRawAuthority() != null
        && uri.getRawAuthority().contains("@")) {
      throw ApiException.invalid(field, "'" + shorten(url) + "' must not carry a user name or password");
    }
    if (!uri.isAbsolute() || host == null || uri.getRawFragment() != null) {
      throw ApiException.invalid(field, "'" + shorten(url) + "' must be an absolute URL with a host, no fragment");
    }
    if (uri.getPort() == 0 || uri.getPort() > MAX_PORT) {
      throw ApiException.invalid(field, "'" + shorten(url) + "' has no valid port (1–" + MAX_PORT + ")");
    }
    if (!host.startsWith("[") && !dnsSized(host)) {
      // No resolver answers a longer name, and a long one only pads the audit event of a change (h86).
      throw ApiException.invalid(field, "'" + shorten(url) + "' has a host name of over " + MAX_HOST
          + " characters or a label of over " + MAX_LABEL);
    }
    String reserved = reservedParameter(uri.getRawQuery());
    if (reserved != null) {
      // The answer appends these: a client would read two codes or two states, and could not tell which is ours.
      throw ApiException.invalid(field, "'" + shorten(url) + "' must not carry the parameter '" + reserved
          + "' in its query: the sign-in's answer adds it");
    }
    boolean local = host.equals("localhost") || host.equals("127.0.0.1");
    boolean ok = "https".equals(uri.getScheme()) || ("http".equals(uri.getScheme()) && local);
    if (!ok) {
      String scheme = uri.getScheme();
      throw ApiException.invalid(field, "'" + shorten(url) + "' must use https (http only for localhost)"
          + (scheme.equals(scheme.toLowerCase(java.util.Locale.ROOT)) ? "" : ", the scheme in lower case: "
              + "callback URLs are compared character for character"));
    }
  }

  private static boolean dnsSized(String host) {
    if (host.length() > MAX_HOST) {
      return false;
    }
    for (String label : host.split("\\.")) {
      if (label.length() > MAX_LABEL) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a stored callback URL may be answered: it has a host and a port in range (a port beyond int leaves
   * {@link URI} no host), and its query carries no parameter the answer adds itself.
   */
  static boolean usable(String url) {
    try {
      URI uri = new URI(url);
      return uri.getHost() != null && reservedParameter(uri.getRawQuery()) == null && uri.getPort() != 0
          && uri.getPort() <= MAX_PORT;
    } catch (URISyntaxException | IllegalArgumentException e) {
      return false;
    }
  }

  /** The first query parameter the sign-in's redirect adds itself (Autz.org's or OpenID Connect's), or null. */
  private static String reservedParameter(String rawQuery) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      String name = URLDecoder.decode(pair.split("=", 2)[0], StandardCharsets.UTF_8);
      if (RESERVED_PARAMETERS.contains(name)) {
        return name;
      }
    }
    return null;
  }

  private static String shorten(String url) {
    return url.length() > 80 ? url.substring(0, 80) + "..." : url;
  }
}
