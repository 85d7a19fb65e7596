package dev.portcullis.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Grafana dashboard and the PrometheusRule in k8s/monitoring/ query only metrics, and labels, that a real
 * gateway exposes: a renamed counter fails here instead of leaving a panel empty and an alert silent.
 */
@DisplayName("The monitoring dashboard and alerts")
class MonitoringTest {

  private static final Path MONITORING = Path.of("k8s", "monitoring");
  private static final Path DASHBOARD = MONITORING.resolve("portcullis-dashboard.json");
  private static final Path RULES = MONITORING.resolve("prometheusrule.yaml");
  /** Suffixes Prometheus adds to the samples of a histogram or summary family. */
  private static final List<String> SAMPLE_SUFFIXES = List.of("_bucket", "_count", "_sum", "_created");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
      "ignoring", "group_left", "group_right", "inf", "nan");
  /** Labels Prometheus attaches when it scrapes, not the gateway. */
  private static final Set<String> TARGET_LABELS = Set.of("pod", "namespace", "instance", "job", "service", "container");

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*\\]");
  private static final Pattern OFFSET = Pattern.compile("\\boffset\\s+\\w+");
  private static final Pattern SELECTOR = Pattern.compile(
      "(?<![\\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{[^}]*\\})?\\s*(\\()?");
  private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");

  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  /** sample name (as scraped, with its suffix) -> label names seen on it */
  private static Map<String, Set<String>> samples;
  /** family name from the # TYPE lines -> its type */
  private static Map<String, String> families;

  @BeforeAll
  static void driveTrafficAndScrape() {
    receiver = new WebhookReceiver();
    receiver.answerEach(call -> call.json().getString("to", "").startsWith("undeliverable") ? 400 : 200);
    gateway = TestGateway.start(receiver.channels());
    JsonObject app = gateway.createApp(new JsonObject().put("name", "Monitored").put("slug", "monitored")
        .put("settings", new JsonObject().put("refresh_reuse_grace_seconds", 0)));
    JsonObject credentials = new JsonObject().put("app_id", app.getString("app_id")).put("app_secret", app.getString("app_secret"));

    String requestId = gateway.http().post("/auth/send-otp", credentials.copy().put("email", "watched@example.com"))
        .json().getString("otp_request_id");
    String code = receiver.awaitCode(requestId);
    gateway.http().post("/auth/verify-otp", credentials.copy().put("otp_request_id", requestId).put("otp", "000000".equals(code) ? "111111" : "000000"));
    ApiResponse login = gateway.http().post("/auth/verify-otp", credentials.copy().put("otp_request_id", requestId).put("otp", code));
    assertEquals(200, login.status(), login.body());
    gateway.http().post("/auth/send-otp", credentials.copy().put("email", "watched@example.com"));
    String first = login.json().getString("refresh_token");
    assertEquals(200, gateway.http().post("/auth/refresh", credentials.copy().put("refresh_token", first)).status());
    assertEquals("refresh_token_reused",
        gateway.http().post("/auth/refresh", credentials.copy().put("refresh_token", first)).error());
    gateway.http().post("/auth/send-otp", credentials.copy().put("email", "undeliverable@example.com"));
    Await.until("the delivery failure to be counted", Duration.ofSeconds(15),
        () -> gateway.management().get("/metrics").body().lines().anyMatch(line ->
            line.startsWith("portcullis_otp_delivery_failures_total{") && !line.endsWith(" 0.0")));
    // The GC pause timer exists from the first collection on; a short run may not have had one yet.
    Await.until("a GC pause to be recorded", Duration.ofSeconds(15), () -> {
      System.gc();
      return gateway.management().get("/metrics").body().contains("jvm_gc_pause_seconds_sum");
    });
    scrape(gateway.management().get("/metrics").body());
  }

  @AfterAll
  static void stop() {
    gateway.close();
    receiver.close();
  }

  @Test
  @DisplayName("every metric and label of every dashboard panel is one the gateway exposes")
  void dashboardQueriesExist() throws IOException {
    List<String> expressions = dashboardExpressions();
    assertTrue(expressions.size() >= 20, "the dashboard has its panels: " + expressions.size());
    assertAllKnown("dashboard", expressions);
  }

  @Test
  @DisplayName("every metric and label of every alert expression is one the gateway exposes")
  void alertQueriesExist() throws IOException {
    List<String> expressions = ruleExpressions();
    Set<String> alerts = ruleNames();
    for (String required : List.of("PortcullisHigh5xxRate", "PortcullisAuditLagHigh", "PortcullisOtpDeliveryFailures",
        "PortcullisRefreshReuseSpike", "PortcullisStoreDown", "PortcullisClockSkew")) {
      assertTrue(alerts.contains(required), "alert " + required + " is defined: " + alerts);
    }
    assertAllKnown("alerts", expressions);
  }

  @Test
  @DisplayName("the dashboard covers logins, refreshes, OTP conversion, refusals, reuse, audit lag and store latency")
  void dashboardCoversWhatOperatorsWatch() throws IOException {
    Set<String> used = new TreeSet<>();
    dashboardExpressions().forEach(expression -> used.addAll(selectors(expression).metrics().keySet()));
    for (String metric : List.of("portcullis_tokens_issued_total", "portcullis_token_refreshes_total",
        "portcullis_otp_verified_total", "portcullis_otp_sent_total", "portcullis_otp_rate_limited_total",
        "portcullis_refresh_reuse_detected_total", "portcullis_audit_lag_seconds_max",
        "vertx_sql_processing_time_seconds_sum", "vertx_redis_processing_time_seconds_sum", "portcullis_backend_up")) {
      assertTrue(used.contains(metric), "a panel shows " + metric);
    }
  }

  @Test
  @DisplayName("the metric-name check itself finds a name the gateway does not expose")
  void checkerCatchesUnknownNames() {
    List<String> problems = problems("sum(rate(portcullis_logins_total{grant=\"login\"}[5m])) "
        + "/ sum(rate(vertx_http_server_requests_total{colour=\"red\"}[5m]))");
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.stream().anyMatch(problem -> problem.startsWith("portcullis_logins_total")), problems.toString());
    assertTrue(problems.stream().anyMatch(problem -> problem.contains("no label colour")), problems.toString());
    assertTrue(problems("sum by (flavour) (rate(portcullis_otp_sent_total[5m]))").get(0).contains("flavour"),
        "a grouping label no metric has");
    assertTrue(problems("histogram_quantile(0.99, sum by (le) (rate(portcullis_audit_lag_seconds_bucket[5m])))")
        .get(0).contains("portcullis_audit_lag_seconds_bucket"), "a histogram bucket of a timer without buckets");
  }

  @Test
  @DisplayName("the monitoring kustomization lists files that exist")
  void kustomizationListsFiles() throws IOException {
    Map<String, Object> kustomization = new Yaml().load(Files.readString(MONITORING.resolve("kustomization.yaml")));
    List<String> files = new ArrayList<>();
    ((List<?>) kustomization.get("resources")).forEach(resource -> files.add(String.valueOf(resource)));
    for (Object generator : (List<?>) kustomization.get("configMapGenerator")) {
      ((List<?>) ((Map<?, ?>) generator).get("files")).forEach(file -> files.add(String.valueOf(file)));
    }
    assertFalse(files.isEmpty());
    for (String file : files) {
      assertTrue(Files.isRegularFile(MONITORING.resolve(file)), file + " exists");
    }
    assertTrue(files.contains("portcullis-dashboard.json") && files.contains("prometheusrule.yaml"), files.toString());
  }

  private static void assertAllKnown(String where, List<String> expressions) {
    List<String> problems = new ArrayList<>();
    expressions.forEach(expression -> problems.addAll(problems(expression)));
    assertTrue(problems.isEmpty(), where + ": " + String.join("\n", problems));
  }

  /** What an expression uses that the scraped gateway does not expose. */
  private static List<String> problems(String expression) {
    List<String> problems = new ArrayList<>();
    Selectors parsed = selectors(expression);
    parsed.metrics().forEach((metric, labels) -> {
      Set<String> seen = labelsOf(metric);
      if (seen == null) {
        problems.add(metric + " (in " + expression.strip() + ") is not exposed");
        return;
      }
      for (String label : labels) {
        if (!seen.contains(label) && !TARGET_LABELS.contains(label)) {
          problems.add(metric + " has no label " + label + " (in " + expression.strip() + ")");
        }
      }
    });
    for (String label : parsed.grouping()) {
      boolean somewhere = label.equals("le") || TARGET_LABELS.contains(label) || parsed.metrics().keySet().stream()
          .map(MonitoringTest::labelsOf)
          .anyMatch(labels -> labels != null && labels.contains(label));
      if (!somewhere) {
        problems.add("no metric of (" + expression.strip() + ") has the label " + label);
      }
    }
    return problems;
  }

  /** The label names seen on a metric, or null when the gateway exposes no such sample. */
  private static Set<String> labelsOf(String metric) {
    if (samples.containsKey(metric)) {
      return samples.get(metric);
    }
    for (String suffix : SAMPLE_SUFFIXES) {
      if (metric.endsWith(suffix)) {
        String family = metric.substring(0, metric.length() - suffix.length());
        String type = families.get(family);
        boolean hasSuffix = "histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"));
        if (hasSuffix) {
          return samples.getOrDefault(family + suffix, Set.of());
        }
      }
    }
    return null;
  }

  /** The metric names of an expression with the labels their matchers name, and the labels it groups by. */
  record Selectors(Map<String, Set<String>> metrics, Set<String> grouping) {
  }

  /**
   * Parses the identifiers out of a PromQL expression: strings, range and offset modifiers are dropped, a name
   * followed by {@code (} is a function or aggregation, {@code by (...)} and the like name labels.
   */
  static Selectors selectors(String expression) {
    String text = STRING.matcher(expression).replaceAll("\"\"");
    text = RANGE.matcher(text).replaceAll(" ");
    text = OFFSET.matcher(text).replaceAll(" ");
    Set<String> grouping = new TreeSet<>();
    Matcher group = GROUPING.matcher(text);
    while (group.find()) {
      for (String label : group.group(1).split(",")) {
        if (!label.isBlank()) {
          grouping.add(label.strip());
        }
      }
    }
    text = GROUPING.matcher(text).replaceAll(" ");
    Map<String, Set<String>> metrics = new HashMap<>();
    Matcher selector = SELECTOR.matcher(text);
    while (selector.find()) {
      String name = selector.group(1);
      boolean function = selector.group(3) != null && selector.group(2) == null;
      if (function || KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        continue;
      }
      Set<String> labels = metrics.computeIfAbsent(name, ignored -> new TreeSet<>());
      if (selector.group(2) != null) {
        Matcher label = MATCHER_LABEL.matcher(selector.group(2));
        while (label.find()) {
          labels.add(label.group(1));
        }
      }
    }
    return new Selectors(metrics, grouping);
  }

  private static void scrape(String text) {
    samples = new HashMap<>();
    families = new HashMap<>();
    for (String line : text.lines().toList()) {
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split(" ");
        families.put(parts[2], parts[3]);
      } else if (!line.isBlank() && !line.startsWith("#")) {
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
        Set<String> labels = samples.computeIfAbsent(name, ignored -> new HashSet<>());
        if (brace >= 0 && brace < space) {
          Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"").matcher(line.substring(brace, line.lastIndexOf('}')));
          while (label.find()) {
            labels.add(label.group(1));
          }
        }
      }
    }
  }

  private static List<String> dashboardExpressions() throws IOException {
    JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
    List<String> expressions = new ArrayList<>();
    collectTargets(dashboard.getJsonArray("panels"), expressions);
    return expressions;
  }

  private static void collectTargets(JsonArray panels, List<String> expressions) {
    for (int i = 0; i < panels.size(); i++) {
      JsonObject panel = panels.getJsonObject(i);
      JsonArray targets = panel.getJsonArray("targets", new JsonArray());
      for (int t = 0; t < targets.size(); t++) {
        expressions.add(targets.getJsonObject(t).getString("expr"));
      }
      collectTargets(panel.getJsonArray("panels", new JsonArray()), expressions);
    }
  }

  private static List<Map<String, Object>> rules() throws IOException {
    Map<String, Object> rule = new Yaml().load(Files.readString(RULES));
    List<Map<String, Object>> rules = new ArrayList<>();
    Map<?, ?> spec = (Map<?, ?>) rule.get("spec");
    for (Object group : (List<?>) spec.get("groups")) {
      for (Object entry : (List<?>) ((Map<?, ?>) group).get("rules")) {
        @SuppressWarnings("unchecked")
        Map<String, Object> cast = (Map<String, Object>) entry;
        rules.add(cast);
      }
    }
    return rules;
  }

  private static List<String> ruleExpressions() throws IOException {
    return rules().stream().map(rule -> String.valueOf(rule.get("expr"))).toList();
  }

  private static Set<String> ruleNames() throws IOException {
    Set<String> names = new TreeSet<>();
    rules().forEach(rule -> names.add(String.valueOf(rule.get("alert"))));
    return names;
  }
}
