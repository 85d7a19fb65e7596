package dev.portcullis.user;

import static dev.portcullis.user.EndUsers.ADMIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("User list paging")
class UserPagingTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static String appId;
  private static Set<String> existing;

  @BeforeAll
  static void start() throws SQLException {
    appId = gateway.createApp("paging-app").getString("app_id");
    existing = new HashSet<>();
    try (Connection db = gateway.jdbc(); Statement sql = db.createStatement()) {
      // 600 users, ten to a creation time, so pages also split users that share a created_at.
      sql.execute("INSERT INTO users (id, app_id, email, created_at) SELECT gen_random_uuid(), '" + appId + "', "
          + "'paged' || i || '@example.com', now() - (i / 10) * interval '1 millisecond' FROM generate_series(1, 600) i");
      try (ResultSet rows = sql.executeQuery("SELECT id FROM users WHERE app_id = '" + appId + "'")) {
        while (rows.next()) {
          existing.add(rows.getString(1));
        }
      }
    }
  }

  @Test
  @DisplayName("returns every user exactly once, newest first, while users are being created")
  void everyUserOnceWhileCreating() throws Exception {
    AtomicBoolean paging = new AtomicBoolean(true);
    AtomicInteger made = new AtomicInteger();
    Thread creator = new Thread(() -> {
      while (paging.get()) {
        ApiResponse created = gateway.http().post("/v1/apps/" + appId + "/users",
            new JsonObject().put("email", "new-" + UUID.randomUUID() + "@example.com"), ADMIN);
        if (created.status() == 201) {
          made.incrementAndGet();
        }
      }
    });
    creator.start();
    Map<String, Integer> seen = new HashMap<>();
    List<String> order = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    try {
      do {
        String path = "/v1/apps/" + appId + "/users?limit=23" + (cursor == null ? "" : "&cursor=" + cursor);
        ApiResponse page = gateway.http().get(path, ADMIN);
        assertEquals(200, page.status(), page.body());
        page.json().getJsonArray("users").forEach(user -> {
          JsonObject json = (JsonObject) user;
          seen.merge(json.getString("id"), 1, Integer::sum);
          order.add(json.getString("created_at"));
        });
        cursor = page.json().getString("next_cursor");
        pages++;
      } while (cursor != null);
    } finally {
      paging.set(false);
      creator.join();
    }
    assertTrue(made.get() > 0, "no user was created while paging");
    assertTrue(pages >= 600 / 23, "pages: " + pages);
    seen.forEach((id, times) -> assertEquals(1, times, "user " + id + " answered " + times + " times"));
    Set<String> missing = new HashSet<>(existing);
    missing.removeAll(seen.keySet());
    assertTrue(missing.isEmpty(), missing.size() + " users that existed before paging were never answered");
    for (int i = 1; i < order.size(); i++) {
      assertTrue(order.get(i - 1).compareTo(order.get(i)) >= 0, "not newest first at " + i);
    }
  }

  @Test
  @DisplayName("pages a search the same way, and the last page has no next_cursor")
  void pagesSearch() {
    Set<String> ids = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      String path = "/v1/apps/" + appId + "/users?q=paged1&limit=50" + (cursor == null ? "" : "&cursor=" + cursor);
      JsonObject page = gateway.http().get(path, ADMIN).json();
      page.getJsonArray("users").forEach(user -> assertTrue(ids.add(((JsonObject) user).getString("id"))));
      cursor = page.getString("next_cursor");
      pages++;
    } while (cursor != null);
    // paged1, paged10-19, paged100-199: 111 users.
    assertEquals(111, ids.size());
    assertEquals(3, pages);
  }
}
