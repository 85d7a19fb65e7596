package dev.portcullis.hosted;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.ext.web.RoutingContext;
import java.util.regex.Pattern;

/**
 * The browser's key: a random value in an HttpOnly, SameSite=Lax cookie (Secure when the issuer is https) that
 * names the browser to the hosted pages. Flows and conversations are bound to it; it never appears in a URL.
 */
public final class BrowserCookie {

  public static final String NAME = "pc_browser";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9_-]{43}");

  private final boolean secure;

  public BrowserCookie(String issuer) {
    // A scheme is case-insensitive (RFC 3986 3.1): HTTPS:// is https too.
    this.secure = issuer != null && issuer.regionMatches(true, 0, "https:", 0, "https:".length());
  }

  /** The browser's key, or null when it sent none (or a malformed one). */
  public static String of(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(NAME);
    return cookie != null && SANE.matcher(cookie.getValue()).matches() ? cookie.getValue() : null;
  }

  /** The browser's key, giving the browser a new one when it has none. */
  public String ensure(RoutingContext ctx) {
    String existing = of(ctx);
    if (existing != null) {
      return existing;
    }
    String key = Tokens.random(32);
    ctx.response().addCookie(Cookie.cookie(NAME, key)
        .setPath("/")
        .setHttpOnly(true)
        .setSecure(secure)
        .setSameSite(CookieSameSite.LAX));
    return key;
  }
}
