package dev.portcullis.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses every request body as one JSON object (an empty body is an empty object, except for a PATCH, which
 * must say what to change). Bodies with another media type are {@code 415}, anything but a JSON object is
 * {@code 400 invalid_request}, and so is a field no store could keep as sent: a string holding NUL or a lone
 * UTF-16 surrogate, a number beyond a double's range.
 */
public final class JsonBody implements Handler<RoutingContext> {

  private static final String KEY = "json_body";
  /**
   * RFC 8259 as written: no comments (Vert.x's own codec takes them), and a field given twice is refused rather
   * than the last one silently winning, so that no two readers of one body can disagree on what it says.
   */
  private static final JsonFactory STRICT = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '([^']+)'");

  private final RouteTemplates routes;

  public JsonBody(RouteTemplates routes) {
    this.routes = routes;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Buffer raw = ctx.body().buffer();
    String type = ctx.request().getHeader("Content-Type");
    if (type != null && !isJson(type) && (raw != null && raw.length() > 0 || declaresBody(ctx))) {
      // Judged before the empty-body case: the body handler keeps a multipart body out of the buffer (as form
      // fields), so that such a body looked like none at all.
      refuse(ctx, new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Content-Type must be application/json (or a +json type)"));
      return;
    }
    if (raw == null || raw.length() == 0) {
      if (ctx.request().method() == HttpMethod.PATCH) {
        refuse(ctx, new ApiException(ErrorCode.INVALID_REQUEST, "body must be a JSON object of the fields to change"));
        return;
      }
      ctx.put(KEY, new JsonObject());
      ctx.next();
      return;
    }
    String text = strictUtf8(raw.getBytes());
    if (text == null) {
      refuse(ctx, new ApiException(ErrorCode.INVALID_REQUEST, "body is not valid UTF-8 (RFC 8259 8.1)"));
      return;
    }
    Object parsed;
    try (JsonParser parser = STRICT.createParser(text)) {
      parsed = JacksonCodec.fromParser(parser, Object.class);
    } catch (DecodeException | IOException e) {
      Matcher twice = DUPLICATE.matcher(String.valueOf(e.getMessage()));
      refuse(ctx, twice.find() ? ApiException.invalid(twice.group(1), "is given twice in the body")
          : beyondLimits(e) ? new ApiException(ErrorCode.INVALID_REQUEST,
              "body is nested too deeply, or holds too long a number or string")
          : new ApiException(ErrorCode.INVALID_REQUEST, "body is not valid JSON (RFC 8259: no comments)"));
      return;
    }
    if (!(parsed instanceof JsonObject object)) {
      refuse(ctx, new ApiException(ErrorCode.INVALID_REQUEST, "body must be a JSON object"));
      return;
    }
    Flaw flaw = flawIn(object);
    if (flaw != null) {
      refuse(ctx, ApiException.invalid(flaw.path().isEmpty() ? "body" : flaw.path(), flaw.problem()));
      return;
    }
    ctx.put(KEY, object);
    ctx.next();
  }

  /** The parser's own bounds (nesting depth, number and string lengths): valid JSON, but not taken. */
  private static boolean beyondLimits(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof StreamConstraintsException) {
        return true;
      }
    }
    return false;
  }

  /** The body's refusal, when a route takes it; else the router's own 404 or 405 answers, as without a body. */
  private void refuse(RoutingContext ctx, ApiException refusal) {
    if (routes.routed(ctx.request().method(), ctx.normalizedPath())) {
      ctx.fail(refusal);
    } else {
      ctx.next();
    }
  }

  /**
   * The body as text, or null when it is not well-formed UTF-8: the JSON parser would decode overlong forms
   * ({@code C0 AF} as "/"), so bytes that differ would reach the gateway as one string.
   */
  private static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException malformed) {
      return null;
    }
  }

  public static JsonObject of(RoutingContext ctx) {
    JsonObject body = ctx.get(KEY);
    return body == null ? new JsonObject() : body;
  }

  /** What no field may hold, and where (relative to the value scanned; "" for the value itself or a key of it). */
  private record Flaw(String path, String problem) {

    Flaw under(String step) {
      return new Flaw(step + (path.isEmpty() || path.startsWith("[") ? path : "." + path), problem);
    }
  }

  /**
   * The first key or value no field may hold, or null: a string with U+0000, which no Postgres text can store; a
   * lone UTF-16 surrogate (an escaped half of a pair), which every encoder would turn into "?", so that two
   * distinct values stored as one; a number too large for a double, which would be stored as "Infinity". The
   * path is built only on the way back from a find.
   */
  private static Flaw flawIn(Object value) {
    if (value instanceof String text) {
      return textFlaw(text);
    }
    if (value instanceof Double number && number.isInfinite()) {
      return new Flaw("", "is too large a number");
    }
    if (value instanceof JsonObject object) {
      for (String key : object.fieldNames()) {
        Flaw inKey = textFlaw(key);
        if (inKey != null) {
          return inKey;
        }
        Flaw below = flawIn(object.getValue(key));
        if (below != null) {
          return below.under(key);
        }
      }
    } else if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        Flaw below = flawIn(array.getValue(i));
        if (below != null) {
          return below.under("[" + i + "]");
        }
      }
    }
    return null;
  }

  private static Flaw textFlaw(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\u0000') {
        return new Flaw("", "must not contain the NUL character");
      }
      if (Character.isSurrogate(c)) {
        boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
            && Character.isLowSurrogate(text.charAt(i + 1));
        if (!paired) {
          return new Flaw("", "is not valid Unicode (a lone UTF-16 surrogate)");
        }
        i++;
      }
    }
    return null;
  }

  /**
   * A request that sent a body the body handler kept out of the buffer: form fields it read, or a Content-Length
   * above 0. An empty body of any type is none, chunked or not (curl's {@code -d ''} sends a form type).
   */
  private static boolean declaresBody(RoutingContext ctx) {
    if (!ctx.request().formAttributes().isEmpty() || !ctx.fileUploads().isEmpty()) {
      return true;
    }
    String length = ctx.request().getHeader("Content-Length");
    return length != null && !length.trim().equals("0");
  }

  private static boolean isJson(String contentType) {
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }
}
