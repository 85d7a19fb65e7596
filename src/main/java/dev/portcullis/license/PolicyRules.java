package dev.portcullis.license;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import dev.portcullis.http.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** The fields of a policy as API.md bounds them: validated from a POST body, or merged from a PATCH body. */
final class PolicyRules {

  static final int DEFAULT_OFFLINE_TTL = 2_592_000;
  static final int DEFAULT_MAX_ACTIVATIONS_PER_DAY = 20;
  private static final long MAX_DURATION = 100L * 366 * 24 * 3600;
  private static final int MAX_OFFLINE_TTL = 31_536_000;
  private static final int MAX_ENTITLEMENTS = 100;
  private static final Pattern ENTITLEMENT = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
  private static final int NAME_MAX = 100;
  private static final Set<String> FIELDS = Set.of("name", "max_devices", "duration_seconds", "entitlements",
      "heartbeat_interval", "offline_ttl", "max_activations_per_day");

  private PolicyRules() {
  }

  static Policy create(UUID id, UUID appId, JsonObject body) {
    Fields.onlyFields(body, FIELDS);
    return new Policy(id, appId, name(Fields.requiredString(body, "name")),
        requiredInt(body, "max_devices", 1, 100_000),
        optionalLong(body, "duration_seconds", 1, MAX_DURATION),
        entitlements(body),
        optionalInt(body, "heartbeat_interval", 60, 604_800),
        offlineTtl(body),
        maxActivationsPerDay(body),
        null, null);
  }

  /**
   * The policy with the PATCH applied; a field given as null clears it where null means something (duration,
   * heartbeat), and sets it back to its default where it has one (offline TTL, daily activations), as in a POST.
   */
  static Policy patch(Policy current, JsonObject body) {
    Fields.onlyFields(body, FIELDS);
    return new Policy(current.id(), current.appId(),
        body.containsKey("name") ? name(Fields.requiredString(body, "name")) : current.name(),
        body.containsKey("max_devices") ? requiredInt(body, "max_devices", 1, 100_000) : current.maxDevices(),
        body.containsKey("duration_seconds") ? optionalLong(body, "duration_seconds", 1, MAX_DURATION)
            : current.durationSeconds(),
        body.containsKey("entitlements") ? entitlements(body) : current.entitlements(),
        body.containsKey("heartbeat_interval") ? optionalInt(body, "heartbeat_interval", 60, 604_800)
            : current.heartbeatInterval(),
        body.containsKey("offline_ttl") ? offlineTtl(body) : current.offlineTtl(),
        body.containsKey("max_activations_per_day") ? maxActivationsPerDay(body) : current.maxActivationsPerDay(),
        current.createdAt(), current.updatedAt());
  }

  private static int offlineTtl(JsonObject body) {
    return body.getValue("offline_ttl") == null ? DEFAULT_OFFLINE_TTL
        : requiredInt(body, "offline_ttl", 60, MAX_OFFLINE_TTL);
  }

  private static int maxActivationsPerDay(JsonObject body) {
    return body.getValue("max_activations_per_day") == null ? DEFAULT_MAX_ACTIVATIONS_PER_DAY
        : requiredInt(body, "max_activations_per_day", 1, 1000);
  }

  private static String name(String raw) {
    return DisplayText.name(raw, NAME_MAX);
  }

  private static JsonArray entitlements(JsonObject body) {
    List<String> given = Fields.optionalStringList(body, "entitlements");
    if (given == null) {
      return new JsonArray();
    }
    Set<String> unique = new LinkedHashSet<>(given);
    if (unique.size() > MAX_ENTITLEMENTS || !unique.stream().allMatch(e -> ENTITLEMENT.matcher(e).matches())) {
      throw ApiException.invalid("entitlements",
          "must be at most " + MAX_ENTITLEMENTS + " names matching " + ENTITLEMENT.pattern());
    }
    return new JsonArray(List.copyOf(unique));
  }

  private static int requiredInt(JsonObject body, String field, int min, int max) {
    Integer value = optionalInt(body, field, min, max);
    if (value == null) {
      throw ApiException.invalid(field, "is required");
    }
    return value;
  }

  private static Integer optionalInt(JsonObject body, String field, int min, int max) {
    Long value = optionalLong(body, field, min, max);
    return value == null ? null : value.intValue();
  }

  static Long optionalLong(JsonObject body, String field, long min, long max) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
        || number.doubleValue() < min || number.doubleValue() > max) {
      throw ApiException.invalid(field, "must be an integer between " + min + " and " + max);
    }
    return number.longValue();
  }
}
