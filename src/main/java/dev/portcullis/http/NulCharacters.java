package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses a NUL character in the query string or a form-encoded body ({@code 400 invalid_request}): Postgres
 * cannot store one in text, and a search or a profile answer holding it failed as a 500. JSON bodies have their
 * own check ({@link JsonBody}); OpenID Connect's endpoints and the onboarding entry answer in OAuth's shapes and keep
 * such values out of Postgres.
 */
public final class NulCharacters {

  private NulCharacters() {
  }

  public static void check(RoutingContext ctx) {
    String path = ctx.request().path();
    if (path != null && (path.startsWith("/oidc/") || path.startsWith("/onboarding/"))) {
      // OAuth's own error shapes (RFC 6749 §4.1.2.1, §5.2) answer there; nothing of theirs reaches Postgres as text.
      ctx.next();
      return;
    }
    String query = ctx.request().query();
    if (query != null && (query.indexOf('\0') >= 0 || query.contains("%00"))) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "query: must not contain the NUL character"));
      return;
    }
    // Form fields, url-encoded or multipart, as the body handler decoded them
    if (ctx.request().formAttributes().entries().stream().anyMatch(field -> field.getValue().indexOf('\0') >= 0)) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "body: must not contain the NUL character"));
      return;
    }
    ctx.next();
  }
}
