package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Parses every request body as one JSON object (an empty body is an empty object, except for a PATCH, which
 * must say what to change). Bodies with another media type are {@code 415}, anything but a JSON object is
 * {@code 400 invalid_request}, and so is a string holding the NUL character, which no Postgres text can store.
 */
public final class JsonBody {

  private static final String KEY = "json_body";

  private JsonBody() {
  }

  public static void handle(RoutingContext ctx) {
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) {
      if (ctx.request().method() == HttpMethod.PATCH) {
        ctx.fail(new ApiException(ErrorCode.INVALID_REQUEST, "body must be a JSON object of the fields to change"));
        return;
      }
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
    String withNul = withNul(object, "");
    if (withNul != null) {
      ctx.fail(ApiException.invalid(withNul, "must not contain the NUL character"));
      return;
    }
    ctx.put(KEY, object);
    ctx.next();
  }

  public static JsonObject of(RoutingContext ctx) {
    JsonObject body = ctx.get(KEY);
    return body == null ? new JsonObject() : body;
  }

  /** The path of the first key or string (at any depth) holding U+0000, or null when there is none. */
  private static String withNul(Object value, String path) {
    if (value instanceof String text) {
      return text.indexOf('\u0000') >= 0 ? path : null;
    }
    if (value instanceof JsonObject object) {
      for (String key : object.fieldNames()) {
        String field = path.isEmpty() ? key : path + "." + key;
        if (key.indexOf('\u0000') >= 0) {
          return path.isEmpty() ? "body" : path;
        }
        String found = withNul(object.getValue(key), field);
        if (found != null) {
          return found;
        }
      }
    } else if (value instanceof io.vertx.core.json.JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        String found = withNul(array.getValue(i), path + "[" + i + "]");
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static boolean isJson(String contentType) {
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }
}
