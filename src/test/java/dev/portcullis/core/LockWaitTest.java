package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Requests behind a lock")
class LockWaitTest {

  private static final String[] ADMIN = Http.bearer(TestGateway.ADMIN_KEY);

  /**
   * A statement waiting on a lock kept waiting after its request had answered 503, and kept its pooled connection:
   * a few requests behind one long transaction (an app being deleted, a user's thousands of sessions being
   * revoked) took every connection of the process, and every other app's requests answered 503 (scale probe).
   */
  @Test
  @DisplayName("requests held behind a row lock past the backend timeout give their connections back: another app's "
      + "requests still answer")
  void lockWaitersLetGo() throws Exception {
    try (TestGateway gateway = TestGateway.start()) {
      String busyApp = gateway.createApp("lock-busy").getString("app_id");
      String otherApp = gateway.createApp("lock-other").getString("app_id");
      ApiResponse created = gateway.http().post("/v1/apps/" + busyApp + "/users",
          new JsonObject().put("email", "held@example.com"), ADMIN);
      assertEquals(201, created.status(), created.body());
      String user = created.json().getString("id");
      try (Connection holder = gateway.jdbc(); Statement lock = holder.createStatement()) {
        holder.setAutoCommit(false);
        lock.execute("SELECT 1 FROM users WHERE id = '" + user + "' FOR UPDATE");
        // more than the pool's connections (PORTCULLIS_PG_POOL_SIZE 4 in tests), all waiting on the row
        List<CompletableFuture<ApiResponse>> held = IntStream.range(0, 8)
            .mapToObj(i -> gateway.http().sendAsync("PATCH", "/v1/apps/" + busyApp + "/users/" + user,
                new JsonObject().put("profile", new JsonObject().put("name", "N" + i)).encode(),
                "Content-Type", "application/json", ADMIN[0], ADMIN[1]))
            .toList();
        held.forEach(request -> assertEquals(503, request.join().status()));
        ApiResponse other = gateway.http().get("/v1/apps/" + otherApp + "/users", ADMIN);
        assertEquals(200, other.status(), "another app's request while the lock is still held: " + other.body());
        holder.rollback();
      }
    }
  }
}
