package dev.portcullis.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The path templates of a router's table (read once, at the first request, when the table is complete): the
 * template a request matched, for the access log and metrics, and the methods a path takes, for {@code Allow}.
 * One per router, used on its event loop only.
 */
public final class RouteTemplates {

  private static final Pattern PARAM = Pattern.compile(":[A-Za-z_][A-Za-z0-9_]*");

  private record Template(Pattern pattern, String path, Set<HttpMethod> methods) {

    boolean takes(HttpMethod method) {
      return methods == null || methods.isEmpty() || methods.contains(method);
    }
  }

  private final Router router;
  private List<Template> templates;
  /** "METHOD /path" of the routes without parameters seen so far, to their template (themselves). */
  private final Map<String, String> staticRoutes = new HashMap<>();

  public RouteTemplates(Router router) {
    this.router = router;
  }

  /**
   * Every GET route of the table answers HEAD too, as RFC 9110 §9.1 asks: its headers, no body (Vert.x drops it).
   * Not the {@code startingGets}: GETs that start something (a sign-in flow, a conversation's binding to its first
   * browser), which a HEAD, a safe method that link checkers send, must not do.
   */
  public static void headWithGet(Router router, Set<String> startingGets) {
    for (Route route : router.getRoutes()) {
      if (route.methods() != null && route.methods().contains(HttpMethod.GET)
          && !startingGets.contains(route.getPath())) {
        route.method(HttpMethod.HEAD);
      }
    }
  }

  /** The route template the request matched, or "unmatched". */
  public String template(HttpMethod method, String requested) {
    String path = withoutTrailingSlash(requested);
    String key = method.name() + " " + path;
    String known = staticRoutes.get(key);
    if (known != null) {
      return known;
    }
    String fallback = null;
    for (Template template : templates()) {
      if (path != null && template.pattern().matcher(path).matches()) {
        if (template.takes(method)) {
          if (template.path().equals(path)) {
            // A route without parameters: its requests skip the scan next time (at most one entry per such route).
            staticRoutes.put(key, path);
          }
          return template.path();
        }
        fallback = template.path();
      }
    }
    return fallback != null ? fallback : "unmatched";
  }

  /**
   * The path as the router matches it: Vert.x Web serves a route's path with one trailing slash too, so the
   * templates must name such requests as well.
   */
  private static String withoutTrailingSlash(String path) {
    return path != null && path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  /** Some route names this method and a template matching this path. */
  public boolean routed(HttpMethod method, String requested) {
    String path = withoutTrailingSlash(requested);
    for (Template template : templates()) {
      if (path != null && template.methods() != null && template.methods().contains(method)
          && template.pattern().matcher(path).matches()) {
        return true;
      }
    }
    return false;
  }

  /** The methods the routes matching this path take, as an {@code Allow} header lists them; empty when none. */
  public String allowed(String requested) {
    String path = withoutTrailingSlash(requested);
    Set<String> methods = new TreeSet<>();
    for (Template template : templates()) {
      if (path != null && template.methods() != null && template.pattern().matcher(path).matches()) {
        template.methods().forEach(method -> methods.add(method.name()));
      }
    }
    return String.join(", ", methods);
  }

  private List<Template> templates() {
    if (templates == null) {
      List<Template> built = new ArrayList<>();
      for (Route route : router.getRoutes()) {
        if (route.getPath() != null) {
          String regex = PARAM.matcher(Pattern.quote(route.getPath())).replaceAll("\\\\E[^/]+\\\\Q");
          built.add(new Template(Pattern.compile(regex), route.getPath(), route.methods()));
        }
      }
      templates = built;
    }
    return templates;
  }
}
