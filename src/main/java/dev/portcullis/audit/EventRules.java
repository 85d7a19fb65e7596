package dev.portcullis.audit;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.messages.AuditMessages;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What the audit log accepts from a sender. A malformed event, or one whose data has a key that names a
 * secret, is a bug of the sender: it is refused with {@code internal_error} before it can join a batch, so
 * it never fails the other senders of that batch.
 */
final class EventRules {

  static final int MAX_EVENTS_PER_MESSAGE = 100;
  /** Room for an app.changed event naming twenty callback URLs' origins of the longest host DNS allows. */
  static final int MAX_DATA_BYTES = 8192;

  private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_.]{0,63}");
  /** Keys that would carry a secret, a code, a token or a password (compared lower-cased, at any depth). */
  private static final Set<String> SECRET_KEYS = Set.of("secret", "app_secret", "client_secret", "password",
      "otp", "code", "token", "access_token", "refresh_token", "authorization", "private_key", "master_key");

  private EventRules() {
  }

  static List<AuditEvent> parse(AuditMessages.Record message) {
    List<AuditEvent> sent = message.events();
    if (sent == null || sent.isEmpty() || sent.size() > MAX_EVENTS_PER_MESSAGE) {
      throw rejected("events must be a list of 1 to " + MAX_EVENTS_PER_MESSAGE + " events");
    }
    List<AuditEvent> events = new ArrayList<>(sent.size());
    for (AuditEvent event : sent) {
      events.add(event(event));
    }
    return events;
  }

  /** Why the log would refuse this event, or null when it takes it. */
  static String problem(AuditEvent event) {
    try {
      event(event);
      return null;
    } catch (ApiException rejected) {
      return rejected.getMessage();
    }
  }

  private static AuditEvent event(AuditEvent event) {
    String type = text("type", event.type(), 64);
    if (type == null || !TYPE.matcher(type).matches()) {
      throw rejected("type must match " + TYPE.pattern());
    }
    UUID appId = event.appId() == null ? AuditEvent.SYSTEM_APP : event.appId();
    return new AuditEvent(type, appId, event.userId(), text("request_id", event.requestId(), 128),
        text("client_ip", event.clientIp(), 64), data(event.data()), event.id());
  }

  /** The data as it will read back from jsonb: re-parsed from its JSON text, within size, keys and strings checked. */
  private static JsonObject data(Object value) {
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject object)) {
      throw rejected("data must be an object");
    }
    String encoded;
    JsonObject normalized;
    try {
      encoded = object.encode();
      normalized = new JsonObject(encoded);
    } catch (DecodeException | IllegalStateException e) {
      throw rejected("data must be plain JSON");
    }
    if (encoded.getBytes(StandardCharsets.UTF_8).length > MAX_DATA_BYTES) {
      throw rejected("data must be at most " + MAX_DATA_BYTES + " bytes");
    }
    check("data", normalized);
    return normalized;
  }

  private static void check(String path, Object value) {
    if (value instanceof String text) {
      storable(path, text);
    } else if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> entry : object) {
        String key = entry.getKey();
        storable(path + " key", key);
        if (SECRET_KEYS.contains(key.toLowerCase(Locale.ROOT))) {
          throw rejected(path + "." + key + " is not allowed: an audit event never holds a secret, code or token");
        }
        check(path + "." + key, entry.getValue());
      }
    } else if (value instanceof JsonArray array) {
      for (Object item : array) {
        check(path + "[]", item);
      }
    } else if (value instanceof Number number) {
      CanonicalJson.number(number);
    }
  }

  private static String text(String field, String text, int maxLength) {
    if (text == null) {
      return null;
    }
    if (text.length() > maxLength) {
      throw rejected(field + " must be a string of at most " + maxLength + " characters");
    }
    storable(field, text);
    return text;
  }

  /** Postgres text and jsonb hold neither NUL nor half a surrogate pair; refusing them here keeps the batch whole. */
  private static void storable(String field, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        throw rejected(field + " must not contain NUL");
      }
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw rejected(field + " must be valid UTF-16");
      }
    }
  }

  private static ApiException rejected(String problem) {
    return new ApiException(ErrorCode.INTERNAL_ERROR, "audit event rejected: " + problem);
  }
}
