package dev.portcullis.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.app.AppSettings;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Keeps src/main/resources/openapi.yaml faithful to /work/shared/API.md: the endpoints, status codes and
 * error codes below are transcribed from it, so a change to either side has to be made on both.
 */
@DisplayName("The OpenAPI document")
class OpenApiContractTest {

  private static final String ERROR_REF = "#/components/schemas/Error";
  private static final String ERROR_CODE_REF = "#/components/schemas/ErrorCode";
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

  /** Every endpoint of API.md, as "METHOD path". */
  private static final Set<String> API_MD_OPERATIONS = Set.of(
      "GET /health/live",
      "GET /health/ready",
      "GET /metrics",
      "POST /v1/owners",
      "GET /audit/export-key",
      "POST /v1/owners/send-otp",
      "POST /v1/owners/verify-otp",
      "POST /v1/owners/refresh",
      "POST /v1/owners/logout",
      "POST /v1/apps",
      "GET /v1/apps",
      "GET /v1/apps/{app_id}",
      "PATCH /v1/apps/{app_id}",
      "DELETE /v1/apps/{app_id}",
      "POST /v1/apps/{app_id}/rotate-secret",
      "POST /v1/apps/{app_id}/rotate-signing-key",
      "GET /v1/apps/{app_id}/jwks.json",
      "GET /v1/apps/{app_id}/audit",
      "GET /v1/apps/{app_id}/audit/verify",
      "POST /auth/send-otp",
      "POST /auth/verify-otp",
      "POST /auth/refresh",
      "GET /auth/me",
      "POST /auth/logout",
      "GET /v1/apps/{app_id}/users",
      "POST /v1/apps/{app_id}/users",
      "GET /v1/apps/{app_id}/users/{user_id}",
      "PATCH /v1/apps/{app_id}/users/{user_id}",
      "DELETE /v1/apps/{app_id}/users/{user_id}",
      "GET /v1/apps/{app_id}/users/{user_id}/sessions",
      "DELETE /v1/apps/{app_id}/sessions/{session_id}",
      "PUT /v1/apps/{app_id}/users/{user_id}/roles",
      "GET /v1/apps/{app_id}/roles",
      "POST /v1/apps/{app_id}/roles",
      "DELETE /v1/apps/{app_id}/roles/{role}",
      "POST /v1/apps/{app_id}/tenants",
      "GET /v1/apps/{app_id}/tenants",
      "GET /v1/apps/{app_id}/tenants/{tenant_id}",
      "PATCH /v1/apps/{app_id}/tenants/{tenant_id}",
      "DELETE /v1/apps/{app_id}/tenants/{tenant_id}",
      "GET /v1/apps/{app_id}/tenants/{tenant_id}/members",
      "PUT /v1/apps/{app_id}/tenants/{tenant_id}/members/{user_id}",
      "DELETE /v1/apps/{app_id}/tenants/{tenant_id}/members/{user_id}",
      "POST /auth/challenge",
      "POST /auth/signup",
      "POST /auth/verify",
      "POST /auth/resend-verification",
      "POST /auth/login",
      "POST /auth/change-password",
      "POST /auth/request-password-reset",
      "POST /auth/reset-password",
      "POST /v1/apps/{app_id}/license-policies",
      "GET /v1/apps/{app_id}/license-policies",
      "GET /v1/apps/{app_id}/license-policies/{policy_id}",
      "PATCH /v1/apps/{app_id}/license-policies/{policy_id}",
      "DELETE /v1/apps/{app_id}/license-policies/{policy_id}",
      "POST /v1/apps/{app_id}/licenses",
      "GET /v1/apps/{app_id}/licenses",
      "GET /v1/apps/{app_id}/licenses/{license_id}",
      "POST /v1/apps/{app_id}/licenses/{license_id}/suspend",
      "POST /v1/apps/{app_id}/licenses/{license_id}/reinstate",
      "POST /v1/apps/{app_id}/licenses/{license_id}/revoke",
      "DELETE /v1/apps/{app_id}/licenses/{license_id}/devices/{device_id}",
      "POST /licenses/activate",
      "POST /licenses/verify",
      "POST /licenses/heartbeat",
      "POST /licenses/deactivate",
      "POST /licenses/checkout",
      "GET /onboarding/{app_id}",
      "GET /api/client/{app_id}/userinfo",
      "POST /api/conversations",
      "GET /api/conversations/{id}",
      "GET /oidc/{app_id}/.well-known/openid-configuration",
      "GET /oidc/{app_id}/authorize",
      "POST /oidc/{app_id}/token",
      "GET /oidc/{app_id}/userinfo",
      "POST /oidc/{app_id}/userinfo",
      "GET /oidc/{app_id}/jwks.json",
      "POST /oidc/{app_id}/revoke",
      // Not in API.md, which names only the GET: OpenID Connect Core 3.1.2.1's form POST of authorize (a 303 to the GET)
      "POST /oidc/{app_id}/authorize",
      // Not in API.md, which leaves the hosted pages' own routes to the implementation:
      "POST /hosted/{app_id}/flow",
      "GET /hosted/conversations/{id}",
      "GET /hosted/static/hosted.css",
      "GET /hosted/static/pow.js",
      "GET /hosted/static/once.js");

  private static final Set<String> MANAGEMENT_PATHS =
      Set.of("/health/live", "/health/ready", "/metrics", "/audit/export-key");

  /** API.md's table of error codes by status, plus 405 method_not_allowed (router convention). */
  private static final Map<String, Set<String>> CODES_BY_STATUS = Map.ofEntries(
      Map.entry("400", Set.of("invalid_request", "weak_password", "invalid_grant")),
      Map.entry("401", Set.of("invalid_client", "invalid_token", "otp_invalid", "otp_expired",
          "invalid_refresh_token", "refresh_token_reused", "session_revoked", "invalid_credentials",
          "invalid_challenge", "invalid_license")),
      Map.entry("403", Set.of("forbidden", "identity_not_verified", "user_disabled", "device_limit_reached",
          "license_expired", "license_suspended", "license_revoked")),
      Map.entry("404", Set.of("not_found")),
      Map.entry("405", Set.of("method_not_allowed")),
      Map.entry("409", Set.of("conflict")),
      Map.entry("413", Set.of("payload_too_large")),
      Map.entry("415", Set.of("unsupported_media_type")),
      Map.entry("429", Set.of("rate_limited", "otp_attempts_exceeded")),
      Map.entry("500", Set.of("internal_error")),
      Map.entry("503", Set.of("unavailable")));

  /**
   * RFC 6749 §5.2's codes, which API.md gives the OAuth endpoints (operations marked {@code x-oauth-errors}) besides
   * the table's: their bodies are {@code {error, error_description}}.
   */
  private static final Map<String, Set<String>> OAUTH_CODES = Map.of(
      "400", Set.of("invalid_request", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope"),
      "401", Set.of("invalid_client"));

  /**
   * 2xx, the hosted pages' redirect (API.md: "→ the page, then 302 <callback_url>?auth_code=..."), and the 303 that
   * turns authorize's form POST into its GET.
   */
  private static final Set<String> SUCCESS_STATUSES = Set.of("200", "201", "202", "302", "303");

  private static Map<String, Object> spec;
  /** Every operation under paths, keyed "METHOD path". */
  private static Map<String, Map<String, Object>> operations;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = OpenApiContractTest.class.getResourceAsStream("/openapi.yaml")) {
      assertNotNull(in, "openapi.yaml is not on the classpath");
      // The document reuses its security requirements by YAML alias more often than SnakeYAML's default 50 allows.
      LoaderOptions options = new LoaderOptions();
      options.setMaxAliasesForCollections(500);
      spec = map(new Yaml(options).load(in), "the document");
    }
    operations = new TreeMap<>();
    map(spec.get("paths"), "paths").forEach((path, item) -> map(item, path).forEach((key, operation) -> {
      if (METHODS.contains(key)) {
        operations.put(key.toUpperCase() + " " + path, map(operation, key + " " + path));
      }
    }));
  }

  @Test
  @DisplayName("parses as YAML and declares OpenAPI 3.1")
  void declaresOpenApi31() {
    assertTrue(String.valueOf(spec.get("openapi")).startsWith("3.1"), "openapi: " + spec.get("openapi"));
    assertNotNull(spec.get("info"), "info");
  }

  @Test
  @DisplayName("documents exactly the endpoints of API.md, each with its method")
  void documentsEveryEndpoint() {
    Set<String> missing = new TreeSet<>(API_MD_OPERATIONS);
    missing.removeAll(operations.keySet());
    Set<String> extra = new TreeSet<>(operations.keySet());
    extra.removeAll(API_MD_OPERATIONS);
    assertTrue(missing.isEmpty(), "missing from openapi.yaml: " + missing);
    assertTrue(extra.isEmpty(), "not in API.md: " + extra);
  }

  @Test
  @DisplayName("marks the health and metrics endpoints as served on the management port")
  void marksManagementPort() {
    for (String path : MANAGEMENT_PATHS) {
      Map<String, Object> item = map(map(spec.get("paths"), "paths").get(path), path);
      assertEquals("management", item.get("x-port"), path + " x-port");
      Map<String, Object> server = map(list(item.get("servers"), path + " servers").get(0), path + " server");
      Map<String, Object> port = map(map(server.get("variables"), "variables").get("port"), "port");
      assertEquals("9090", String.valueOf(port.get("default")), path + " management port");
    }
  }

  @Test
  @DisplayName("gives every public operation an error response built on the Error schema")
  void everyOperationUsesErrorSchema() {
    publicOperations().forEach((name, operation) -> {
      boolean usesError = responses(operation, name).entrySet().stream()
          .filter(entry -> entry.getKey().startsWith("4") || entry.getKey().startsWith("5"))
          .anyMatch(entry -> refersTo(schemaOf(entry.getValue(), name + " " + entry.getKey()), ERROR_REF));
      assertTrue(usesError, name + " has no 4xx/5xx response with the Error schema");
    });
  }

  @Test
  @DisplayName("uses only the status codes of API.md's table")
  void usesOnlyContractStatuses() {
    List<Map<String, Object>> all = new ArrayList<>(operations.values());
    map(spec.getOrDefault("webhooks", Map.of()), "webhooks").forEach((hook, item) -> map(item, hook).forEach(
        (method, operation) -> all.add(map(operation, hook + " " + method))));
    for (Map<String, Object> operation : all) {
      for (String status : responses(operation, String.valueOf(operation.get("operationId"))).keySet()) {
        assertTrue(SUCCESS_STATUSES.contains(status) || CODES_BY_STATUS.containsKey(status),
            operation.get("operationId") + " uses status " + status);
      }
    }
  }

  @Test
  @DisplayName("enumerates exactly API.md's error codes plus method_not_allowed")
  void errorCodeEnumIsTheContract() {
    Map<String, Object> errorCode = schema("ErrorCode");
    Set<String> documented = new TreeSet<>();
    list(errorCode.get("enum"), "ErrorCode enum").forEach(code -> documented.add(String.valueOf(code)));
    Set<String> contract = new TreeSet<>();
    CODES_BY_STATUS.values().forEach(contract::addAll);
    assertEquals(contract, documented);
    Map<String, Object> errorProperties = map(schema("Error").get("properties"), "Error properties");
    assertEquals(ERROR_CODE_REF, map(errorProperties.get("error"), "Error.error").get("$ref"));
    assertTrue(list(schema("Error").get("required"), "Error required").containsAll(List.of("error", "message")));
  }

  @Test
  @DisplayName("lists the same codes and statuses as the gateway's ErrorCode enum")
  void errorCodesMatchTheGateway() {
    Map<String, Set<String>> gateway = new TreeMap<>();
    for (ErrorCode code : ErrorCode.values()) {
      gateway.computeIfAbsent(String.valueOf(code.status()), status -> new TreeSet<>()).add(code.code());
    }
    assertEquals(new TreeMap<>(CODES_BY_STATUS), gateway);
  }

  @Test
  @DisplayName("names in each error response only codes that API.md gives that status")
  void errorResponsesMatchTheirStatus() {
    publicOperations().forEach((name, operation) -> responses(operation, name).forEach((status, response) -> {
      if (!CODES_BY_STATUS.containsKey(status)) {
        return;
      }
      Set<String> codes = new TreeSet<>();
      collectErrorCodes(schemaOf(response, name + " " + status), codes);
      assertFalse(codes.isEmpty(), name + " " + status + " does not name its error code(s)");
      Set<String> wrong = new TreeSet<>(codes);
      wrong.removeAll(CODES_BY_STATUS.get(status));
      if (Boolean.TRUE.equals(operation.get("x-oauth-errors"))) {
        wrong.removeAll(OAUTH_CODES.getOrDefault(status, Set.of()));
      }
      assertTrue(wrong.isEmpty(), name + " " + status + " names codes of another status: " + wrong);
    }));
  }

  @Test
  @DisplayName("documents X-Request-Id on every public response and Retry-After on every 429 and 503")
  void documentsHeaders() {
    publicOperations().forEach((name, operation) -> responses(operation, name).forEach((status, raw) -> {
      Map<String, Object> response = resolve(raw);
      Map<String, Object> headers = map(response.getOrDefault("headers", Map.of()), name + " " + status + " headers");
      assertTrue(headers.containsKey("X-Request-Id"), name + " " + status + " lacks X-Request-Id");
      if (status.equals("429") || status.equals("503")) {
        assertTrue(headers.containsKey("Retry-After"), name + " " + status + " lacks Retry-After");
      }
    }));
  }

  @Test
  @DisplayName("documents 503 unavailable and 500 internal_error on every public operation")
  void documentsOutages() {
    publicOperations().forEach((name, operation) -> {
      Map<String, Object> responses = responses(operation, name);
      assertTrue(responses.containsKey("503"), name + " lacks 503");
      assertTrue(responses.containsKey("500"), name + " lacks 500");
    });
  }

  @Test
  @DisplayName("resolves every $ref to a definition in the document")
  void everyReferenceResolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(spec, refs);
    assertFalse(refs.isEmpty());
    for (String ref : refs) {
      assertNotNull(lookup(ref), "dangling $ref " + ref);
    }
  }

  @Test
  @DisplayName("documents the settings defaults the gateway itself applies")
  void settingsDefaultsMatchTheGateway() {
    Map<String, Object> properties = map(schema("Settings").get("properties"), "Settings properties");
    JsonObject defaults = AppSettings.defaults().toJson();
    assertEquals(new TreeSet<>(defaults.fieldNames()), new TreeSet<>(properties.keySet()));
    for (String field : defaults.fieldNames()) {
      Object documented = map(properties.get(field), field).get("default");
      Object actual = defaults.getValue(field);
      Object comparable = actual instanceof JsonArray array ? array.getList() : actual;
      assertEquals(comparable, documented, "default of " + field);
    }
  }

  @Test
  @DisplayName("documents the settings ranges the gateway itself enforces")
  void settingsRangesMatchTheGateway() {
    Map<String, Object> properties = map(schema("Settings").get("properties"), "Settings properties");
    properties.forEach((field, raw) -> {
      Map<String, Object> property = map(raw, field);
      if (!"integer".equals(property.get("type"))) {
        return;
      }
      int min = ((Number) property.get("minimum")).intValue();
      int max = ((Number) property.get("maximum")).intValue();
      AppSettings.merge(AppSettings.defaults(), new JsonObject().put(field, min));
      AppSettings.merge(AppSettings.defaults(), new JsonObject().put(field, max));
      assertThrows(ApiException.class, () -> AppSettings.merge(AppSettings.defaults(), new JsonObject().put(field, min - 1)),
          field + " below " + min);
      assertThrows(ApiException.class, () -> AppSettings.merge(AppSettings.defaults(), new JsonObject().put(field, max + 1)),
          field + " above " + max);
    });
  }

  @Test
  @DisplayName("documents the OTP webhook with its signature header and body fields")
  void documentsWebhook() {
    Map<String, Object> post = map(map(map(spec.get("webhooks"), "webhooks").get("otpDelivery"), "otpDelivery").get("post"),
        "otpDelivery post");
    boolean signed = list(post.get("parameters"), "webhook parameters").stream()
        .map(parameter -> map(parameter, "parameter"))
        .anyMatch(parameter -> "X-Portcullis-Signature".equals(parameter.get("name")) && "header".equals(parameter.get("in")));
    assertTrue(signed, "X-Portcullis-Signature header");
    assertEquals(List.of("channel", "to", "code", "message", "app_id", "otp_request_id", "at"),
        list(schema("OtpDelivery").get("required"), "OtpDelivery required"));
  }

  private static Map<String, Map<String, Object>> publicOperations() {
    Map<String, Map<String, Object>> result = new LinkedHashMap<>(operations);
    result.keySet().removeIf(name -> MANAGEMENT_PATHS.contains(name.substring(name.indexOf(' ') + 1)));
    // The hosted pages answer HTML, errors included (an error page, never JSON): checked by their own tests.
    result.values().removeIf(operation -> Boolean.TRUE.equals(operation.get("x-hosted-page")));
    assertFalse(result.isEmpty());
    return result;
  }

  private static Map<String, Object> responses(Map<String, Object> operation, String name) {
    Map<?, ?> raw = map(operation.get("responses"), name + " responses");
    Map<String, Object> byStatus = new TreeMap<>();
    // YAML 1.1 reads an unquoted 200 as an integer: normalise keys to strings.
    raw.forEach((status, response) -> byStatus.put(String.valueOf(status), response));
    return byStatus;
  }

  private static Object schemaOf(Object response, String where) {
    Map<String, Object> content = map(resolve(response).get("content"), where + " content");
    return map(content.get("application/json"), where + " application/json").get("schema");
  }

  /** True when {@code schema} is, or is composed from, the schema at {@code target}. */
  private static boolean refersTo(Object schema, String target) {
    if (!(schema instanceof Map<?, ?> node)) {
      return false;
    }
    Object ref = node.get("$ref");
    if (ref != null) {
      return ref.equals(target) || refersTo(lookup(String.valueOf(ref)), target);
    }
    for (String combinator : List.of("allOf", "anyOf", "oneOf")) {
      if (node.get(combinator) instanceof List<?> parts && parts.stream().anyMatch(part -> refersTo(part, target))) {
        return true;
      }
    }
    return false;
  }

  /** The codes a response narrows {@code error} to (const or enum), not counting the full ErrorCode enum. */
  private static void collectErrorCodes(Object schema, Set<String> codes) {
    if (!(schema instanceof Map<?, ?> node)) {
      return;
    }
    Object ref = node.get("$ref");
    if (ref != null) {
      if (!ref.equals(ERROR_CODE_REF)) {
        collectErrorCodes(lookup(String.valueOf(ref)), codes);
      }
      return;
    }
    if (node.get("properties") instanceof Map<?, ?> properties && properties.get("error") instanceof Map<?, ?> error) {
      if (error.get("const") != null) {
        codes.add(String.valueOf(error.get("const")));
      }
      if (error.get("enum") instanceof List<?> values) {
        values.forEach(value -> codes.add(String.valueOf(value)));
      }
    }
    for (String combinator : List.of("allOf", "anyOf", "oneOf")) {
      if (node.get(combinator) instanceof List<?> parts) {
        parts.forEach(part -> collectErrorCodes(part, codes));
      }
    }
  }

  private static Map<String, Object> resolve(Object node) {
    Map<String, Object> value = map(node, "node");
    Object ref = value.get("$ref");
    return ref == null ? value : resolve(lookup(String.valueOf(ref)));
  }

  private static Object lookup(String ref) {
    assertTrue(ref.startsWith("#/"), "only local refs: " + ref);
    Object node = spec;
    for (String part : ref.substring(2).split("/")) {
      if (!(node instanceof Map<?, ?> current)) {
        return null;
      }
      node = current.get(part.replace("~1", "/").replace("~0", "~"));
    }
    return node;
  }

  private static void collectRefs(Object node, List<String> refs) {
    if (node instanceof Map<?, ?> object) {
      object.forEach((key, value) -> {
        if ("$ref".equals(key)) {
          refs.add(String.valueOf(value));
        } else {
          collectRefs(value, refs);
        }
      });
    } else if (node instanceof List<?> items) {
      items.forEach(item -> collectRefs(item, refs));
    }
  }

  private static Map<String, Object> schema(String name) {
    return map(map(map(spec.get("components"), "components").get("schemas"), "schemas").get(name), name);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value, String what) {
    assertInstanceOf(Map.class, value, what + " must be a mapping");
    return (Map<String, Object>) value;
  }

  private static List<?> list(Object value, String what) {
    assertInstanceOf(List.class, value, what + " must be a list");
    return (List<?>) value;
  }
}
