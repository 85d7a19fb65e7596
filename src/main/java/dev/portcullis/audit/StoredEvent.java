package dev.portcullis.audit;

import dev.portcullis.core.AuditEvent;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * An audit event as the log holds it: its place in its app's chain ({@code seq}) and the {@code hash} that
 * links it to the event before. {@code at} has microsecond precision, as Postgres keeps it.
 */
record StoredEvent(UUID id, UUID appId, long seq, Instant at, String type, UUID userId, String requestId,
                          String clientIp, JsonObject data, String hash) {

  /** RFC 3339 in UTC with exactly six fractional digits: the one spelling of {@code at}, in responses and hashes. */
  private static final DateTimeFormatter AT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
      .withZone(ZoneOffset.UTC);

  static final String COLUMNS = "id, app_id, seq, at, type, user_id, request_id, client_ip, data, hash";
  /** The fields of {@link #toJson()}, every one always present (null when empty): all an exported line may hold. */
  static final Set<String> FIELDS = Set.of(COLUMNS.split(", "));

  /** A received event, not yet placed in its chain, under the id it was staged with if it was. */
  static StoredEvent received(AuditEvent event, Instant at) {
    return new StoredEvent(event.id() == null ? UUID.randomUUID() : event.id(), event.appId(), 0, at.truncatedTo(ChronoUnit.MICROS), event.type(),
        event.userId(), event.requestId(), event.clientIp(), event.data(), null);
  }

  /** This event placed after {@code previousHash} as number {@code seq} of its chain, with an unkeyed (SHA-256) link. */
  StoredEvent chained(long seq, String previousHash) {
    StoredEvent placed = new StoredEvent(id, appId, seq, at, type, userId, requestId, clientIp, data, null);
    return new StoredEvent(id, appId, seq, at, type, userId, requestId, clientIp, data,
        ChainHash.link(previousHash, placed));
  }

  /**
   * This event placed after {@code previousHash} as number {@code seq} of its chain, linked in the regime its
   * seq falls in: HMAC under {@code chainKey} from {@code keyedFromSeq} on, SHA-256 before.
   */
  StoredEvent chained(long seq, String previousHash, byte[] chainKey, long keyedFromSeq) {
    StoredEvent placed = new StoredEvent(id, appId, seq, at, type, userId, requestId, clientIp, data, null);
    return new StoredEvent(id, appId, seq, at, type, userId, requestId, clientIp, data,
        ChainHash.link(chainKey, keyedFromSeq, previousHash, placed));
  }

  static StoredEvent fromRow(Row row) {
    JsonObject data = row.getJsonObject("data");
    return new StoredEvent(row.getUUID("id"), row.getUUID("app_id"), row.getLong("seq"),
        row.getOffsetDateTime("at").toInstant(), row.getString("type"), row.getUUID("user_id"),
        row.getString("request_id"), row.getString("client_ip"), data == null ? new JsonObject() : data,
        row.getString("hash"));
  }

  /**
   * An event as {@link #toJson()} wrote it (an exported file's line); throws on a missing, unknown or malformed
   * field. An unknown field is refused rather than ignored: the hash does not cover it, so nothing would show
   * that it was added.
   */
  static StoredEvent fromJson(JsonObject json) {
    if (!FIELDS.equals(json.fieldNames())) {
      Set<String> unknown = new TreeSet<>(json.fieldNames());
      unknown.removeAll(FIELDS);
      Set<String> missing = new TreeSet<>(FIELDS);
      missing.removeAll(json.fieldNames());
      throw new IllegalArgumentException(unknown.isEmpty() ? "missing field(s) " + missing : "unknown field(s) " + unknown);
    }
    String userId = json.getString("user_id");
    JsonObject data = json.getJsonObject("data");
    return new StoredEvent(UUID.fromString(json.getString("id")), UUID.fromString(json.getString("app_id")),
        json.getLong("seq"), Instant.parse(json.getString("at")), json.getString("type"),
        userId == null ? null : UUID.fromString(userId), json.getString("request_id"), json.getString("client_ip"),
        data == null ? new JsonObject() : data, json.getString("hash"));
  }

  static String format(Instant at) {
    return AT.format(at);
  }

  /** Every field but the hash: what the hash covers. */
  JsonObject content() {
    return new JsonObject()
        .put("id", id.toString())
        .put("app_id", appId.toString())
        .put("seq", seq)
        .put("at", format(at))
        .put("type", type)
        .put("user_id", userId == null ? null : userId.toString())
        .put("request_id", requestId)
        .put("client_ip", clientIp)
        .put("data", data);
  }

  JsonObject toJson() {
    return content().put("hash", hash);
  }
}
