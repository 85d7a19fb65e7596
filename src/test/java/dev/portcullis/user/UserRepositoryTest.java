package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.core.Postgres;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Users")
class UserRepositoryTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static Postgres pg;

  @BeforeAll
  static void start() {
    pg = Postgres.create(gateway.vertx(), gateway.config());
  }

  @AfterAll
  static void stop() throws Exception {
    pg.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("16 concurrent first logins of one identity make one user, and exactly one of them creates it")
  void concurrentFirstLogins() throws Exception {
    UUID appId = UUID.fromString(gateway.createApp("users-race").getString("app_id"));
    UserRepository users = new UserRepository(pg);
    for (String[] identity : List.of(new String[] {"quinn@example.com", null}, new String[] {null, "+14155552671"})) {
      List<Future<UserRepository.Found>> logins = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        logins.add(users.findOrCreate(appId, identity[0], identity[1]));
      }
      List<UserRepository.Found> found = Future.all(logins).await(20, TimeUnit.SECONDS).list();
      assertEquals(1, found.stream().filter(UserRepository.Found::created).count());
      assertEquals(1, found.stream().map(f -> f.user().id()).distinct().count());
    }
    assertEquals(2, countUsers(appId));
  }

  @Test
  @DisplayName("the same email in two apps is two users")
  void onePerApp() throws Exception {
    UserRepository users = new UserRepository(pg);
    UUID first = UUID.fromString(gateway.createApp("users-app-one").getString("app_id"));
    UUID second = UUID.fromString(gateway.createApp("users-app-two").getString("app_id"));
    UserRepository.Found a = users.findOrCreate(first, "rita@example.com", null).await(10, TimeUnit.SECONDS);
    UserRepository.Found b = users.findOrCreate(second, "rita@example.com", null).await(10, TimeUnit.SECONDS);
    assertEquals(true, a.created() && b.created());
    assertEquals(1, countUsers(first));
  }

  @Test
  @DisplayName("a returning email or phone finds its user, not a new one, and is not reported as created")
  void returningLogin() throws Exception {
    UUID appId = UUID.fromString(gateway.createApp("users-returning").getString("app_id"));
    UserRepository users = new UserRepository(pg);
    for (String[] identity : List.of(new String[] {"sam@example.com", null}, new String[] {null, "+442079460958"})) {
      UserRepository.Found first = users.findOrCreate(appId, identity[0], identity[1]).await(10, TimeUnit.SECONDS);
      UserRepository.Found again = users.findOrCreate(appId, identity[0], identity[1]).await(10, TimeUnit.SECONDS);
      assertEquals(true, first.created());
      assertEquals(false, again.created());
      assertEquals(first.user(), again.user());
      assertEquals(identity[0], again.user().email());
      assertEquals(identity[1], again.user().phone());
    }
    assertEquals(2, countUsers(appId));
  }

  private static int countUsers(UUID appId) throws Exception {
    try (var db = gateway.jdbc(); var query = db.prepareStatement("SELECT count(*) FROM users WHERE app_id = ?")) {
      query.setObject(1, appId);
      try (var rows = query.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }
}
