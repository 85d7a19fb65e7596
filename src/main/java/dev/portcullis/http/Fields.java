package dev.portcullis.http;

import dev.portcullis.core.ApiException;
import io.netty.util.NetUtil;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Typed reads of request fields: a wrong type is {@code 400 invalid_request} naming the field. */
public final class Fields {

  private static final java.util.regex.Pattern ASCII_NUMBER = java.util.regex.Pattern.compile("[0-9]{1,9}");

  private Fields() {
  }

  /**
   * Refuses a field the request does not take, naming it and those it does: a misspelt optional field would
   * otherwise be dropped in silence.
   */
  public static void onlyFields(JsonObject body, Set<String> allowed) {
    for (String field : body.fieldNames()) {
      if (!allowed.contains(field)) {
        throw ApiException.invalid(field, "is not a field of this request ("
            + String.join(", ", new TreeSet<>(allowed)) + ")");
      }
    }
  }

  public static String requiredString(JsonObject body, String field) {
    String value = optionalString(body, field);
    if (value == null || value.isBlank()) {
      throw ApiException.invalid(field, "is required");
    }
    return value;
  }

  public static String optionalString(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw ApiException.invalid(field, "must be a string");
    }
    return text;
  }

  /** A UUID field, or null when absent; anything else is {@code 400} naming the field. */
  public static java.util.UUID optionalUuid(JsonObject body, String field) {
    String value = optionalString(body, field);
    if (value == null) {
      return null;
    }
    try {
      if (value.length() == 36) {
        return java.util.UUID.fromString(value);
      }
    } catch (IllegalArgumentException notUuid) {
      // answered below
    }
    throw ApiException.invalid(field, "must be a UUID");
  }

  /**
   * The licence {@code key} of a login that binds its session to device {@code deviceId}: required with a device,
   * refused without one (a key alone binds nothing, and silently ignoring it would leave the session unbound).
   */
  public static String deviceKey(JsonObject body, java.util.UUID deviceId) {
    if (deviceId != null) {
      return requiredString(body, "key");
    }
    if (body.getValue("key") != null) {
      throw ApiException.invalid("device_id", "is required with key (the device the session is bound to)");
    }
    return null;
  }

  public static boolean optionalBoolean(JsonObject body, String field, boolean fallback) {
    Object value = body.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean flag)) {
      throw ApiException.invalid(field, "must be true or false");
    }
    return flag;
  }

  public static JsonObject optionalObject(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject object)) {
      throw ApiException.invalid(field, "must be an object");
    }
    return object;
  }

  public static List<String> optionalStringList(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiException.invalid(field, "must be an array of strings");
    }
    List<String> items = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof String text)) {
        throw ApiException.invalid(field, "must be an array of strings");
      }
      items.add(text);
    }
    return items;
  }

  /**
   * The {@code limit} query parameter of a paged list: {@code fallback} when absent or empty (API.md writes the lists'
   * queries with every parameter, {@code ?q=&limit=&cursor=}), else 1 to {@code max}.
   */
  public static int pageLimit(String raw, int fallback, int max) {
    if (raw == null || raw.isEmpty()) {
      return fallback;
    }
    int limit = positiveInt(raw);
    if (limit >= 1 && limit <= max) {
      return limit;
    }
    throw ApiException.invalid("limit", "must be an integer between 1 and " + max);
  }

  /**
   * {@code text} as a number of at most nine ASCII digits, else -1: {@link Integer#parseInt} also takes a sign and
   * any script's digits ({@code １０}), which no client means.
   */
  public static int positiveInt(String text) {
    return text != null && ASCII_NUMBER.matcher(text).matches() ? Integer.parseInt(text) : -1;
  }

  /**
   * Refuses a field given as null among {@code fields}: a PATCH's typed field is changed or left out, and a null
   * read as "left out" would answer 200 for a change that never happened.
   */
  public static void notNull(JsonObject body, String... fields) {
    for (String field : fields) {
      if (body.containsKey(field) && body.getValue(field) == null) {
        throw ApiException.invalid(field, "must not be null (leave it out to keep it as it is)");
      }
    }
  }

  /**
   * The end user's IP as the client backend reported it, or null. Only an IPv4 or IPv6 literal is accepted
   * (parsed without DNS), so what rate limits count and the audit log keeps is always an address, in one form.
   */
  public static String clientIp(JsonObject body) {
    String ip = optionalString(body, "client_ip");
    if (ip == null) {
      return null;
    }
    String trimmed = ip.trim();
    if (trimmed.length() > 45 || !(NetUtil.isValidIpV4Address(trimmed) || NetUtil.isValidIpV6Address(trimmed))) {
      throw ApiException.invalid("client_ip", "must be an IPv4 or IPv6 address");
    }
    // One address is one string everywhere it is kept (192.000.002.072, ::ffff:192.0.2.72 → 192.0.2.72).
    return SourceNetwork.canonical(trimmed);
  }
}
