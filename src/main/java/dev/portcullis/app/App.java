package dev.portcullis.app;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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

  /** The callback URLs the rules still accept (see {@link #registers}), for the matches that are not exact. */
  public List<String> usableCallbackUrls() {
    return callbackUrls.stream().filter(CallbackUrls::usable).toList();
  }

  /** The end of a callback URL cut short in an audit event, and the least of it kept. */
  private static final String CUT = "…";
  private static final int MIN_URL_KEPT = 40;
  /** Settings whose lists are sets (only looked up): one reordered is no change. */
  private static final Set<String> SETS = Set.of(AppSettings.OTP_CHANNELS, AppSettings.SMS_ALLOWED_COUNTRIES);

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
    // A reordered list is the same set of callback URLs: every one is matched exactly, none before another.
    if (!new HashSet<>(callbackUrls).equals(new HashSet<>(before.callbackUrls))) {
      fields.add("callback_urls");
    }
    JsonObject now = settings.toJson();
    JsonObject then = before.settings.toJson();
    for (String key : new TreeSet<>(now.fieldNames())) {
      boolean same = SETS.contains(key) ? sameSet(now.getValue(key), then.getValue(key))
          : sameJson(now.getValue(key), then.getValue(key));
      if (!same) {
        fields.add("settings." + key);
      }
    }
    return fields;
  }

  /**
   * The values of what a PATCH changed, for its audit event, in at most {@code budgetBytes} of JSON: callback URLs
   * first, as the ones {@code added} and {@code removed}, whole when they all fit, else each cut short after its
   * origin (ending in {@value #CUT}), else the added ones so and the removed ones counted, so no URL that codes may
   * now go to is left out; then each other field of {@link #changesFrom} with its {@code from} and {@code to}, each
   * one that still fits (one that does not is named by {@link #changesFrom} only).
   */
  public JsonObject differencesFrom(App before, int budgetBytes) {
    JsonObject out = new JsonObject();
    List<String> fields = changesFrom(before);
    if (fields.contains("callback_urls")) {
      List<String> added = urlsMissingFrom(before);
      List<String> removed = before.urlsMissingFrom(this);
      JsonObject whole = new JsonObject().put("added", new JsonArray(added)).put("removed", new JsonArray(removed));
      // Up to two thirds of the room for the URLs, whole when they fit (each URL's quotes, comma and cut mark take
      // 8 bytes more when cut).
      int room = budgetBytes * 2 / 3;
      int perUrl = Math.max(MIN_URL_KEPT, (room - 48) / Math.max(1, added.size() + removed.size()) - 8);
      JsonObject urls = whole;
      if (urls.encode().length() > room) {
        urls = new JsonObject().put("added", cut(added, perUrl)).put("removed", cut(removed, perUrl));
      }
      if (urls.encode().length() > room) {
        // Long hosts (h86: 17 of 207 characters hid a new one behind counts; h98: a host's end hid a long domain):
        // where codes may now go, each added URL's whole origin, in all the room; those removed as a count. Twenty
        // origins of the longest host DNS allows fit.
        urls = new JsonObject().put("added", cut(added, MIN_URL_KEPT)).put("removed", removed.size());
      }
      out.put("callback_urls", urls);
    }
    int used = out.encode().getBytes(StandardCharsets.UTF_8).length;
    if (used > budgetBytes) {
      // Only with every settings field changed too: the URLs' counts then, never an event too large to store.
      out.put("callback_urls", new JsonObject().put("added", urlsMissingFrom(before).size())
          .put("removed", before.urlsMissingFrom(this).size()));
      used = out.encode().getBytes(StandardCharsets.UTF_8).length;
    }
    for (String field : fields) {
      if (field.equals("callback_urls")) {
        continue;
      }
      JsonObject difference = new JsonObject().put("from", before.value(field)).put("to", value(field));
      int size = field.length() + difference.encode().getBytes(StandardCharsets.UTF_8).length + 4;
      if (used + size <= budgetBytes) {
        out.put(field, difference);
        used += size;
      }
    }
    return out;
  }

  private List<String> urlsMissingFrom(App other) {
    return callbackUrls.stream().filter(url -> !other.callbackUrls.contains(url)).toList();
  }

  /** Each URL within {@code length} characters, but never cut inside its origin: where codes go is what counts. */
  private static JsonArray cut(List<String> urls, int length) {
    return new JsonArray(urls.stream().map(url -> {
      int kept = Math.max(length, originLength(url));
      return url.length() <= kept ? url : url.substring(0, kept) + CUT;
    }).toList());
  }

  /** The length of the scheme, host and port that begin a callback URL (stored ones are absolute). */
  private static int originLength(String url) {
    int authority = url.indexOf("://");
    if (authority < 0) {
      return url.length();
    }
    int path = url.indexOf('/', authority + 3);
    int query = url.indexOf('?', authority + 3);
    int end = path < 0 ? query : query < 0 ? path : Math.min(path, query);
    return end < 0 ? url.length() : end;
  }

  private Object value(String field) {
    return field.equals("name") ? name : settings.toJson().getValue(field.substring("settings.".length()));
  }

  private static boolean sameSet(Object a, Object b) {
    if (a instanceof JsonArray x && b instanceof JsonArray y) {
      return new HashSet<>(x.getList()).equals(new HashSet<>(y.getList()));
    }
    return Objects.equals(a, b);
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
