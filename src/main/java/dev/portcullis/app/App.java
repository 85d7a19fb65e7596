package dev.portcullis.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.UUID;

/** A client app (tenant). {@code secretHash} never leaves the gateway. */
public record App(UUID id, UUID ownerId, String name, String slug, byte[] secretHash, List<String> callbackUrls,
                  AppSettings settings, OffsetDateTime createdAt) {

  /**
   * Whether {@code url} is exactly one of the app's callback URLs, character for character (RFC 9700): no prefix,
   * pattern or normalisation. Null is none.
   */
  /**
   * Whether the URL is one of the app's callback URLs and one the rules still accept (a URL stored before a rule
   * was added, or by an older process during a rolling upgrade, may carry a parameter the answer adds itself).
   */
  public boolean registers(String url) {
    return url != null && callbackUrls.contains(url) && CallbackUrls.usable(url);
  }

  public static final UUID CONSOLE_ID = UUID.fromString("00000000-0000-0000-0000-000000000001");

  public static final String COLUMNS = "id, owner_id, name, slug, secret_hash, callback_urls, settings, created_at";

  public static App fromRow(Row row) {
    Object urls = row.getValue("callback_urls");
    List<String> callbackUrls = urls instanceof JsonArray array
        ? array.stream().map(String::valueOf).toList()
        : List.of();
    Object settings = row.getValue("settings");
    return new App(
        row.getUUID("id"),
        row.getUUID("owner_id"),
        row.getString("name"),
        row.getString("slug"),
        row.getBuffer("secret_hash").getBytes(),
        callbackUrls,
        AppSettings.fromStored(settings instanceof JsonObject json ? json : null),
        row.getOffsetDateTime("created_at"));
  }

  public boolean isConsole() {
    return CONSOLE_ID.equals(id);
  }

  /** The public view of an app: everything but the secret. */
  public JsonObject toJson(String issuer) {
    return new JsonObject()
        .put("app_id", id.toString())
        .put("owner_id", ownerId == null ? null : ownerId.toString())
        .put("name", name)
        .put("slug", slug)
        .put("callback_urls", new JsonArray(callbackUrls))
        .put("settings", settings.toJson())
        .put("jwks_uri", issuer.replaceAll("/+$", "") + "/v1/apps/" + id + "/jwks.json")
        .put("created_at", rfc3339(createdAt));
  }

  /** What a PATCH changed: "name", "callback_urls" and "settings.<key>". */
  public List<String> changesFrom(App before) {
    List<String> fields = new ArrayList<>();
    if (!name.equals(before.name)) {
      fields.add("name");
    }
    if (!callbackUrls.equals(before.callbackUrls)) {
      fields.add("callback_urls");
    }
    JsonObject now = settings.toJson();
    JsonObject then = before.settings.toJson();
    for (String key : new TreeSet<>(now.fieldNames())) {
      if (!sameJson(now.getValue(key), then.getValue(key))) {
        fields.add("settings." + key);
      }
    }
    return fields;
  }

  /**
   * The values of what a PATCH changed, for its audit event: each field of {@link #changesFrom} with its {@code from}
   * and {@code to} (callback URLs as the ones {@code added} and {@code removed}), in that order, each one that still
   * fits in {@code budgetBytes} of JSON; one that does not is named by {@link #changesFrom} only.
   */
  public JsonObject differencesFrom(App before, int budgetBytes) {
    JsonObject out = new JsonObject();
    int used = 2;
    for (String field : changesFrom(before)) {
      JsonObject difference = field.equals("callback_urls")
          ? new JsonObject().put("added", urlsMissingFrom(before)).put("removed", before.urlsMissingFrom(this))
          : new JsonObject().put("from", before.value(field)).put("to", value(field));
      int size = field.length() + difference.encode().getBytes(StandardCharsets.UTF_8).length + 4;
      if (used + size > budgetBytes) {
        continue;
      }
      out.put(field, difference);
      used += size;
    }
    return out;
  }

  private JsonArray urlsMissingFrom(App other) {
    return new JsonArray(callbackUrls.stream().filter(url -> !other.callbackUrls.contains(url)).toList());
  }

  private Object value(String field) {
    return field.equals("name") ? name : settings.toJson().getValue(field.substring("settings.".length()));
  }

  private static boolean sameJson(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      return x.longValue() == y.longValue();
    }
    return Objects.equals(a, b);
  }

  public static String rfc3339(OffsetDateTime time) {
    return time == null ? null : time.withOffsetSameInstant(ZoneOffset.UTC).format(DateTimeFormatter.ISO_INSTANT);
  }
}
