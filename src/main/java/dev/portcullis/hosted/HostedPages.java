package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.core.DisplayText;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Renders the hosted pages (jte templates compiled at build time, HTML-escaped) and writes them with the
 * headers every page carries: no caching, no framing, no script but the gateway's own files.
 */
public final class HostedPages {

  /**
   * No {@code form-action}: browsers apply it to the redirect that ends a flow, and that redirect goes to the
   * app's callback. Logos may come from any https origin (validated with the app's settings).
   */
  static final String CSP = "default-src 'self'; img-src 'self' https:; object-src 'none'; base-uri 'none'; "
      + "frame-ancestors 'none'";

  private static final String GO_BACK = "Go back to the app and start again.";
  private static final Pattern GUIDED = Pattern.compile("(?i)go back|start again|try again");
  private static final TemplateEngine TEMPLATES = TemplateEngine.createPrecompiled(ContentType.Html);

  /** The page of a flow's step: its form posts back to the app's flow route. */
  static StepPage step(App app, Flow flow, String error) {
    return new StepPage(title(app), app.settings().hosted().logoUrl(), DisplayText.shown(app.name()),
        "/hosted/" + app.id() + "/flow",
        flow.id(), flow.csrf(), flow.step().name().toLowerCase(java.util.Locale.ROOT), error, null, null, null,
        app.settings().hosted().sms(), null, 0, List.of());
  }

  /**
   * A page without a form: the flow cannot go on (bad link, expired flow, refused callback). A message that does not
   * say what to do next is told to go back to the app.
   */
  static StepPage problem(App app, String message) {
    String title = app == null ? "Sign-in" : title(app);
    String name = app == null ? title : DisplayText.shown(app.name());
    String shown = GUIDED.matcher(message).find() ? message : message + " " + GO_BACK;
    return new StepPage(title, app == null ? null : app.settings().hosted().logoUrl(), name, null, null, null, null,
        shown, null, null, null, false, null, 0, List.of());
  }

  static void render(RoutingContext ctx, int status, String template, StepPage page) {
    StringOutput out = new StringOutput();
    TEMPLATES.render("hosted/" + template + ".jte", page, out);
    secure(ctx.response().setStatusCode(status))
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .end(out.toString());
  }

  public static void problem(RoutingContext ctx, int status, App app, String message) {
    render(ctx, status, "error", problem(app, message));
  }

  /** The headers of every hosted response, redirects included. */
  static HttpServerResponse secure(HttpServerResponse response) {
    return response
        .putHeader("Cache-Control", "no-store")
        .putHeader("Pragma", "no-cache")
        .putHeader("Content-Security-Policy", CSP)
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
  }

  /** Ends a flow: the browser goes to the verified target. */
  static void redirect(RoutingContext ctx, String location) {
    secure(ctx.response().setStatusCode(302)).putHeader("Location", location).end();
  }

  private static String title(App app) {
    String title = app.settings().hosted().title();
    return DisplayText.shown(title != null ? title : app.name());
  }
}
