package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Parses every request body as one JSON object (an empty body is an empty object). Bodies with another
 * media type are {@code 415}, anything but a JSON object is {@code 400 invalid_request}.
 */
public final class JsonBody {

  private static final String KEY = "json_body";

  private JsonBody() {
  }

  public static void handle(RoutingContext ctx) {
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      ctx.put(KEY, new JsonObject());
      ctx.next();
      return;
    }
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && !isJson(type)) {
      ctx.fail(new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json"));
      return;
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(raw);
    } catch (DecodeException e) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "body is not valid JSON"));
      return;
    }
    if (!(parsed instanceof JsonObject object)) {
      ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "body must be a JSON object"));
      return;
    }
    ctx.put(KEY, object);
    ctx.next();
  }

  public static JsonObject of(RoutingContext ctx) {
    JsonObject body = ctx.get(KEY);
    return body == null ? new JsonObject() : body;
  }

  private static boolean isJson(String contentType) {
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }
}
