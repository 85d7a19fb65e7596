package dev.portcullis.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The audit log cut off under a request, after its change committed: holds the app's audit chain head row locked
 * from a JDBC transaction, so the audit writer's append waits on it, and terminates every connection waiting on a
 * lock (that writer's) while the request runs, as a Postgres connection cut would. Closing releases the row.
 */
public final class AuditCut implements AutoCloseable {

  private static final String TERMINATE_WAITERS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      + "WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'";

  private final TestGateway gateway;
  private final Connection holder;

  private AuditCut(TestGateway gateway, Connection holder) {
    this.gateway = gateway;
    this.holder = holder;
  }

  /** Locks the chain head of the app (waiting for the app's first event to have made it). */
  public static AuditCut of(TestGateway gateway, String appId) throws SQLException {
    Await.until("the audit chain head of " + appId, Duration.ofSeconds(10),
        () -> gateway.count("SELECT count(*) FROM audit_chain_heads WHERE app_id = '" + appId + "'") == 1);
    Connection holder = gateway.jdbc();
    holder.setAutoCommit(false);
    try (PreparedStatement lock = holder.prepareStatement("SELECT 1 FROM audit_chain_heads WHERE app_id = ? FOR UPDATE")) {
      lock.setObject(1, UUID.fromString(appId));
      lock.executeQuery().close();
    }
    return new AuditCut(gateway, holder);
  }

  /** Sends the request and cuts every audit append that waits on the lock until it is answered. */
  public ApiResponse during(Supplier<CompletableFuture<ApiResponse>> request) {
    CompletableFuture<ApiResponse> answer = request.get();
    Await.until("the answer, with the audit log cut", Duration.ofSeconds(30), () -> {
      terminateWaiters();
      return answer.isDone();
    });
    return answer.join();
  }

  private void terminateWaiters() {
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement()) {
      statement.executeQuery(TERMINATE_WAITERS).close();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() throws SQLException {
    holder.rollback();
    holder.close();
  }
}
