package dev.portcullis.chaos;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A ledger checked against what the gateways stored: every 2xx the clients saw has its audit event (by our
 * X-Request-Id), its refresh token, its session; the audit chain verifies; no session holds two live refresh
 * tokens; every session a logout revoked still answers session_revoked; no 500 was ever answered; and, around a
 * fault, how long the answers stayed unavailable after the fault ended.
 */
final class Checks {

  private static final Set<String> AUDITED = Set.of("send", "verify", "refresh", "logout");

  private final List<JsonObject> ledger;
  private final String jdbcUrl;
  private final Client admin;
  private final String adminKey;

  Checks(List<JsonObject> ledger, String jdbcUrl, Client admin, String adminKey) {
    this.ledger = ledger;
    this.jdbcUrl = jdbcUrl;
    this.admin = admin;
    this.adminKey = adminKey;
  }

  JsonObject run(long faultStart, long faultEnd, long recoveryLimitMs) throws SQLException {
    JsonObject result = new JsonObject().put("answers", ledger.size()).put("by_status", byStatus(ledger));
    List<String> failures = new ArrayList<>();
    try (Connection db = DriverManager.getConnection(jdbcUrl)) {
      // a logout that found its session revoked already (a retry) changed nothing and records nothing
      List<String> okIds = ledger.stream().filter(Checks::ok).filter(e -> AUDITED.contains(e.getString("op")))
          .filter(e -> !"logout".equals(e.getString("op")) || e.getInteger("revoked", 1) > 0)
          .map(e -> e.getString("rid")).toList();
      Set<String> audited = existing(db, "SELECT request_id FROM audit_events WHERE request_id = ANY(?)", okIds);
      List<String> unaudited = okIds.stream().filter(id -> !audited.contains(id)).toList();
      result.put("acknowledged_audited", okIds.size() - unaudited.size()).put("acknowledged_without_audit", unaudited.size());
      if (!unaudited.isEmpty()) {
        failures.add(unaudited.size() + " acknowledged answers have no audit event, e.g. " + unaudited.subList(0, Math.min(5, unaudited.size())));
      }

      List<String> tokens = ledger.stream().filter(Checks::ok).map(e -> e.getString("rt_hash")).filter(h -> h != null).distinct().toList();
      Set<String> stored = existing(db, "SELECT encode(token_hash, 'hex') FROM refresh_tokens WHERE encode(token_hash, 'hex') = ANY(?)", tokens);
      long lostTokens = tokens.stream().filter(h -> !stored.contains(h)).count();
      result.put("refresh_tokens_handed_out", tokens.size()).put("refresh_tokens_lost", lostTokens);
      if (lostTokens > 0) {
        failures.add(lostTokens + " refresh tokens handed out are not in Postgres");
      }

      List<String> sessions = ledger.stream().filter(Checks::ok).map(e -> e.getString("sid")).filter(s -> s != null).distinct().toList();
      Set<String> storedSessions = existing(db, "SELECT id::text FROM sessions WHERE id::text = ANY(?)", sessions);
      long lostSessions = sessions.stream().filter(s -> !storedSessions.contains(s)).count();
      result.put("sessions_seen", sessions.size()).put("sessions_lost", lostSessions);
      if (lostSessions > 0) {
        failures.add(lostSessions + " sessions the clients got are not in Postgres");
      }

      long doubleLive = count(db, "SELECT count(*) FROM (SELECT session_id FROM refresh_tokens WHERE spent_at IS NULL"
          + " AND expires_at > now() AND session_id::text = ANY(?) GROUP BY session_id HAVING count(*) > 1) twice", sessions);
      result.put("sessions_with_two_live_refresh_tokens", doubleLive);
      if (doubleLive > 0) {
        failures.add(doubleLive + " sessions have two live refresh tokens");
      }

      Set<String> apps = existing(db, "SELECT DISTINCT app_id::text FROM sessions WHERE id::text = ANY(?)", sessions);
      JsonArray chains = new JsonArray();
      for (String appId : apps) {
        Client.Answer verify = admin.call("audit-verify", "GET", "/v1/apps/" + appId + "/audit/verify", null, adminKey, null);
        chains.add(verify.body());
        if (verify.status() != 200 || !verify.body().getBoolean("ok", false)) {
          failures.add("the audit chain of app " + appId + " does not verify: " + verify.status() + " " + verify.body());
        }
      }
      result.put("audit_chains", chains);
    }

    List<JsonObject> logouts = ledger.stream().filter(e -> "logout".equals(e.getString("op")) && ok(e) && e.getString("at") != null).toList();
    int stillRevoked = 0;
    // An access token that has expired since (a long soak) answers invalid_token whatever its session's state:
    // for those, Postgres must hold the revocation instead.
    List<String> expiredSessions = new ArrayList<>();
    long nowSeconds = System.currentTimeMillis() / 1000;
    for (JsonObject logout : logouts) {
      String accessToken = logout.getString("at");
      if (Long.parseLong(Client.claim(accessToken, "exp")) <= nowSeconds + 1) {
        expiredSessions.add(Client.claim(accessToken, "sid"));
        continue;
      }
      Client.Answer me = admin.me(accessToken);
      if (me.status() == 401 && "session_revoked".equals(me.error())) {
        stillRevoked++;
      } else {
        failures.add("a logged-out session answers " + me.status() + " " + me.error() + " on /auth/me");
      }
    }
    if (!expiredSessions.isEmpty()) {
      try (Connection db = DriverManager.getConnection(jdbcUrl)) {
        Set<String> revoked = existing(db,
            "SELECT id::text FROM sessions WHERE revoked_at IS NOT NULL AND id::text = ANY(?)", expiredSessions);
        stillRevoked += revoked.size();
        long notRevoked = expiredSessions.stream().distinct().filter(id -> !revoked.contains(id)).count();
        if (notRevoked > 0) {
          failures.add(notRevoked + " logged-out sessions (access tokens expired since) are not revoked in Postgres");
        }
      }
    }
    result.put("revoked_sessions_checked_in_postgres", expiredSessions.size());
    result.put("revoked_sessions_checked", logouts.size()).put("revoked_sessions_still_revoked", stillRevoked);

    // A load whose every call was refused (a limit it should not hit) checks nothing: that is a failed run.
    long succeeded = ledger.stream().filter(Checks::ok).count();
    if (!ledger.isEmpty() && succeeded * 2 < ledger.size()) {
      failures.add("only " + succeeded + " of " + ledger.size() + " answers were 2xx: the load did not run as meant");
    }
    long internalErrors = ledger.stream().filter(e -> e.getInteger("status") == 500).count();
    if (internalErrors > 0) {
      failures.add(internalErrors + " answers were 500 internal_error");
    }
    if (faultStart > 0) {
      result.put("fault", window(faultStart, faultEnd, recoveryLimitMs, failures));
    }
    result.put("failures", new JsonArray(failures)).put("passed", failures.isEmpty());
    return result;
  }

  /** Answers while the fault lasted, and how long after it ended the last unavailable answer came. */
  private JsonObject window(long faultStart, long faultEnd, long recoveryLimitMs, List<String> failures) {
    List<JsonObject> during = ledger.stream().filter(e -> e.getLong("t") >= faultStart && e.getLong("t") <= faultEnd).toList();
    long lastUnavailable = ledger.stream()
        .filter(e -> e.getLong("t") > faultEnd)
        .filter(e -> e.getInteger("status") == 503 || e.getInteger("status") < 0)
        .mapToLong(e -> e.getLong("t") + e.getLong("ms"))
        .max().orElse(faultEnd);
    long firstOkAfter = ledger.stream().filter(e -> e.getLong("t") > faultEnd && ok(e))
        .mapToLong(e -> e.getLong("t") + e.getLong("ms")).min().orElse(-1);
    long recovery = Math.max(0, lastUnavailable - faultEnd);
    if (recovery > recoveryLimitMs) {
      failures.add("unavailable answers went on " + recovery + " ms after the fault ended (limit " + recoveryLimitMs + ")");
    }
    if (firstOkAfter < 0) {
      failures.add("no successful answer after the fault ended");
    }
    return new JsonObject()
        .put("duration_ms", faultEnd - faultStart)
        .put("answers_during", during.size())
        .put("by_status_during", byStatus(during))
        .put("recovered_ms_after_fault_end", recovery)
        .put("first_success_ms_after_fault_end", firstOkAfter < 0 ? null : firstOkAfter - faultEnd);
  }

  static boolean ok(JsonObject entry) {
    int status = entry.getInteger("status");
    return status >= 200 && status < 300;
  }

  static JsonObject byStatus(List<JsonObject> entries) {
    Map<String, Integer> counts = new TreeMap<>();
    for (JsonObject entry : entries) {
      String key = entry.getInteger("status") + (entry.getString("error") == null ? "" : " " + entry.getString("error"));
      counts.merge(key, 1, Integer::sum);
    }
    return new JsonObject(new TreeMap<String, Object>(counts));
  }

  private static Set<String> existing(Connection db, String sql, List<String> values) throws SQLException {
    Set<String> found = new HashSet<>();
    for (int from = 0; from < values.size(); from += 5000) {
      List<String> chunk = values.subList(from, Math.min(values.size(), from + 5000));
      try (PreparedStatement statement = db.prepareStatement(sql)) {
        Array array = db.createArrayOf("text", chunk.toArray());
        statement.setArray(1, array);
        try (ResultSet rows = statement.executeQuery()) {
          while (rows.next()) {
            found.add(rows.getString(1));
          }
        }
      }
    }
    return found;
  }

  private static long count(Connection db, String sql, List<String> values) throws SQLException {
    try (PreparedStatement statement = db.prepareStatement(sql)) {
      statement.setArray(1, db.createArrayOf("text", values.toArray()));
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  static UUID uuid(String text) {
    return UUID.fromString(text);
  }
}
