package dev.portcullis.user;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The admin user list and search stay index-backed as an app grows: with 200,000 users in one app (and 20,000
 * in another), Postgres plans each query of {@link UserRepository} through the index the README names for it,
 * both with the parameters at hand (custom plan) and as the generic plan a cached prepared statement may use.
 */
@DisplayName("User list and search query plans at 200,000 users")
class UserQueryPlanTest {

  private static final String FIRST_PAGE = "'9999-12-31T23:59:59Z', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 51";

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static String appId;

  @BeforeAll
  static void fill() throws SQLException {
    appId = gateway.createApp("plan-big").getString("app_id");
    String small = gateway.createApp("plan-small").getString("app_id");
    try (Connection db = gateway.jdbc(); Statement sql = db.createStatement()) {
      // Triggers off for the bulk load: the default roles of 220,000 users are not what this test is about.
      sql.execute("SET session_replication_role = replica");
      sql.execute(bulk(appId, 200_000));
      sql.execute(bulk(small, 20_000));
      sql.execute("SET session_replication_role = DEFAULT");
      sql.execute("ANALYZE");
    }
  }

  private static String bulk(String app, int count) {
    return "INSERT INTO users (id, app_id, email, phone, created_at) SELECT gen_random_uuid(), '" + app + "', "
        + "CASE WHEN i % 3 <> 0 THEN 'user' || i || '@example.com' END, "
        + "CASE WHEN i % 3 <> 1 THEN '+1555' || lpad(i::text, 7, '0') END, "
        + "now() - (i / 4) * interval '1 second' FROM generate_series(1, " + count + ") i";
  }

  @ParameterizedTest(name = "plan_cache_mode = {0}")
  @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
  @DisplayName("the newest-first list walks users_app_page")
  void list(String mode) throws SQLException {
    String plan = plan(mode, UserRepository.LIST, "'" + appId + "', " + FIRST_PAGE);
    assertUses(plan, "users_app_page");
    String[] nodes = plan.split("\n");
    assertTrue(nodes[0].startsWith("Limit") && nodes[1].contains("Index Scan") && nodes[1].contains("users_app_page"),
        "the page must be read in index order and stop at the limit, not sorted:\n" + plan);
  }

  @ParameterizedTest(name = "plan_cache_mode = {0}")
  @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
  @DisplayName("an email prefix search uses users_app_email_prefix")
  void emailPrefix(String mode) throws SQLException {
    String plan = plan(mode, UserRepository.SEARCH_EMAIL, "'" + appId + "', " + FIRST_PAGE + ", " + prefix("user12345"));
    assertUses(plan, "users_app_email_prefix");
  }

  @ParameterizedTest(name = "plan_cache_mode = {0}")
  @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
  @DisplayName("a phone prefix search uses users_app_phone_prefix (and the email prefix index for the same digits)")
  void phonePrefix(String mode) throws SQLException {
    String plan = plan(mode, UserRepository.SEARCH_PHONE_OR_EMAIL,
        "'" + appId + "', " + FIRST_PAGE + ", " + prefix("1555012") + ", " + prefix("+1555012"));
    assertUses(plan, "users_app_phone_prefix");
    assertUses(plan, "users_app_email_prefix");
  }

  @ParameterizedTest(name = "plan_cache_mode = {0}")
  @ValueSource(strings = {"force_custom_plan", "force_generic_plan"})
  @DisplayName("an id search is a primary-key look-up")
  void byId(String mode) throws SQLException {
    String plan = plan(mode, UserRepository.SEARCH_ID, "'" + appId + "', " + FIRST_PAGE + ", gen_random_uuid()");
    assertUses(plan, "users_pkey");
  }

  private static String prefix(String prefix) {
    return "'" + prefix + "', '" + UserSearch.upperBound(prefix) + "', '" + UserSearch.like(prefix) + "'";
  }

  private static void assertUses(String plan, String index) {
    assertTrue(plan.contains(index), "expected " + index + " in:\n" + plan);
    assertFalse(plan.contains("Seq Scan on users"), "a sequential scan of users:\n" + plan);
  }

  private static String plan(String mode, String query, String arguments) throws SQLException {
    try (Connection db = gateway.jdbc(); Statement sql = db.createStatement()) {
      sql.execute("SET plan_cache_mode = " + mode);
      sql.execute("PREPARE q AS " + query);
      List<String> lines = new ArrayList<>();
      try (ResultSet rows = sql.executeQuery("EXPLAIN EXECUTE q(" + arguments + ")")) {
        while (rows.next()) {
          lines.add(rows.getString(1));
        }
      }
      return String.join("\n", lines);
    }
  }
}
