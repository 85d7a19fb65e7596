package dev.portcullis.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.portcullis.app.App;
import dev.portcullis.core.Bus;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.messages.AppMessages;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.RunsAlone;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("Signing keys")
@RunsAlone
class SigningKeyTest {

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().sibling();

  // Set by env before any test of the class runs.
  private static TestGateway gateway;
  private static TestGateway sibling;

  @Test
  @DisplayName("two processes racing to give the console app its first key end up with one key")
  void consoleKeyRace() {
    String console = App.CONSOLE_ID.toString();
    UUID owner = TokenFixture.user(gateway, console, "owner@example.com");
    List<CompletableFuture<JsonObject>> logins = Stream.of(gateway, sibling)
        .flatMap(process -> IntStream.range(0, 4)
            .mapToObj(i -> CompletableFuture.supplyAsync(() -> TokenFixture.login(process, console, owner))))
        .toList();
    List<String> kids = logins.stream()
        .map(CompletableFuture::join)
        .map(tokens -> TokenFixture.header(tokens.getString("access_token")).getString("kid"))
        .distinct()
        .toList();
    assertEquals(1, kids.size(), "every token signed with the same key");
    assertEquals(1, count("SELECT count(*) FROM signing_keys WHERE app_id = '" + console + "'"));
  }

  @Test
  @DisplayName("a rotated key signs new tokens within a second; the old key verifies until publish_until")
  void rotation() {
    String appId = gateway.createApp("rotating-app").getString("app_id");
    UUID user = TokenFixture.user(gateway, appId, "rot@example.com");
    String before = TokenFixture.login(gateway, appId, user).getString("access_token");
    String oldKid = TokenFixture.header(before).getString("kid");

    SigningKeyMaterial next = SigningKeyMaterial.generate(
        new MasterKey(Base64.getDecoder().decode(TestGateway.TEST_MASTER_KEY)));
    rotate(appId, oldKid, next);
    Await.until("new tokens to use the new key", Duration.ofSeconds(2), () -> next.kid().equals(
        TokenFixture.header(TokenFixture.login(gateway, appId, user).getString("access_token")).getString("kid")));
    assertEquals(200, TokenFixture.me(gateway.http(), before).status(), "the old key still verifies");
    Await.until("both keys in the JWKS", Duration.ofSeconds(2),
        () -> List.of(next.kid(), oldKid).equals(publishedKids(appId)));

    TokenFixture.update(gateway, "UPDATE signing_keys SET publish_until = now() - interval '1 second' WHERE kid = ?", oldKid);
    announceKeyChange(appId);
    Await.until("the unpublished key gone from the JWKS", Duration.ofSeconds(2),
        () -> List.of(next.kid()).equals(publishedKids(appId)));
    Await.until("the unpublished key to stop verifying", Duration.ofSeconds(2),
        () -> "invalid_token".equals(TokenFixture.me(gateway.http(), before).error()));
    assertNotEquals(oldKid, next.kid());
  }

  /** What rotate-signing-key (issue 3) does: a new key row, the old one retired but still published. */
  private static void rotate(String appId, String oldKid, SigningKeyMaterial next) {
    TokenFixture.update(gateway, "INSERT INTO signing_keys (kid, app_id, public_pem, private_enc) VALUES (?, ?, ?, ?)",
        next.kid(), UUID.fromString(appId), next.publicPem(), next.privateSealed());
    TokenFixture.update(gateway, "UPDATE signing_keys SET retired_at = now(), publish_until = now() + interval '1 day' "
        + "WHERE kid = ?", oldKid);
    announceKeyChange(appId);
  }

  /** What the API does after a key change, so every process drops its cached JWKS and keys of the app. */
  private static void announceKeyChange(String appId) {
    Bus.publish(gateway.vertx(), Bus.APP_CHANGED, new AppMessages.Changed(UUID.fromString(appId), "key"));
  }

  private static List<String> publishedKids(String appId) {
    JsonArray keys = gateway.http().get("/v1/apps/" + appId + "/jwks.json").json().getJsonArray("keys");
    return keys.stream().map(key -> ((JsonObject) key).getString("kid")).toList();
  }

  private static long count(String sql) {
    try (Connection connection = gateway.jdbc(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
