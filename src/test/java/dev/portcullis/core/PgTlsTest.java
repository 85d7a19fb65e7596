package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.TestBackends;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("TLS to Postgres (sslmode in PORTCULLIS_PG_URL)")
class PgTlsTest {

  private static final String IS_TLS = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

  private static PgUrl requiring() {
    PgUrl plain = TestBackends.postgres();
    return PgUrl.parse(GatewayConfig.PG_URL, plain.toUrl() + "?sslmode=require");
  }

  @Test
  @DisplayName("with sslmode=require the gateway's pool never talks to Postgres in plaintext: TLS, or no connection")
  void reactivePoolRequiresTls() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = PgBuilder.pool().connectingTo(Postgres.connectOptions(requiring())).using(vertx).build();
      try {
        Boolean tls = pool.query(IS_TLS).execute().map(rows -> rows.iterator().next().getBoolean(0))
            .otherwise((Boolean) null).await(20, TimeUnit.SECONDS);
        assertTrue(tls == null || tls, "connected in plaintext although sslmode=require");
      } finally {
        pool.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("verify-ca and verify-full without sslrootcert build a pool that trusts the JVM's CAs (the pg client needs trust named)")
  void verifyModesTrustTheJvm() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      for (String mode : new String[] {"verify-ca", "verify-full"}) {
        PgUrl url = PgUrl.parse(GatewayConfig.PG_URL, TestBackends.postgres().toUrl() + "?sslmode=" + mode);
        Pool pool = PgBuilder.pool().connectingTo(Postgres.connectOptions(url)).using(vertx).build();
        try {
          // This server has no TLS: the connection must fail in the handshake, not on missing trust options.
          Throwable failure = pool.query("SELECT 1").execute().map((Throwable) null)
              .otherwise(refused -> refused).await(20, TimeUnit.SECONDS);
          assertTrue(failure != null && !String.valueOf(failure.getMessage()).contains("Trust options"),
              mode + ": " + failure);
        } finally {
          pool.close().await(10, TimeUnit.SECONDS);
        }
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("with sslmode=require migrations (JDBC) never talk to Postgres in plaintext either")
  void jdbcRequiresTls() {
    PgUrl url = requiring();
    Properties props = new Properties();
    props.setProperty("user", url.user());
    try (Connection connection = DriverManager.getConnection(url.jdbcUrl(), props);
         ResultSet row = connection.createStatement().executeQuery(IS_TLS)) {
      assertTrue(row.next() && row.getBoolean(1), "connected in plaintext although sslmode=require");
    } catch (java.sql.SQLException refused) {
      assertTrue(String.valueOf(refused.getMessage()).contains("SSL"), refused.getMessage());
    }
  }

  @Test
  @DisplayName("sslmode and sslrootcert are understood; another parameter or mode is refused, naming the key")
  void parameters() {
    PgUrl full = PgUrl.parse(GatewayConfig.PG_URL,
        "postgresql://app@db:5432/auth?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem");
    assertEquals("verify-full", full.sslMode());
    assertEquals("/etc/ca.pem", full.sslRootCert());
    assertEquals("jdbc:postgresql://db:5432/auth?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem", full.jdbcUrl());
    assertEquals(full, PgUrl.parse(GatewayConfig.PG_URL, full.toUrl()));
    assertEquals(null, PgUrl.parse(GatewayConfig.PG_URL,
        "postgresql://app@db:5432/auth?application_name=gw&connect_timeout=5").sslMode(), "harmless ones are ignored");
    for (String bad : new String[] {"?ssl=true", "?sslmode=required", "?sslmode=require&sslrootcert=%2Fca.pem",
        "?options=-c%20search_path%3Dother", "?sslcert=%2Fclient.pem"}) {
      IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
          () -> PgUrl.parse(GatewayConfig.PG_URL, "postgresql://app@db:5432/auth" + bad));
      assertTrue(refused.getMessage().startsWith(GatewayConfig.PG_URL), refused.getMessage());
    }
  }
}
