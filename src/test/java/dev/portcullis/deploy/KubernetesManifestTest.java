package dev.portcullis.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * Keeps the Dockerfile and the Kubernetes manifests in k8s/ consistent with the gateway's own
 * configuration (conf/portcullis.yaml): ports, probe paths, configuration keys, security settings.
 * Runs from the project root, as Maven does; needs neither Vert.x nor a cluster.
 */
@DisplayName("The Dockerfile and the Kubernetes manifests")
class KubernetesManifestTest {

  private static final Path K8S = Path.of("k8s");
  private static final Path DEFAULTS = Path.of("conf", "portcullis.yaml");
  private static final Path DOCKERFILE = Path.of("Dockerfile");
  private static final String SECRET_EXAMPLE = "secret.example.yaml";

  /** Secrets with no default: they must never appear in conf/portcullis.yaml nor in the ConfigMap. */
  private static final Set<String> SECRET_NAMES = Set.of(
      "PORTCULLIS_MASTER_KEY",
      "PORTCULLIS_ADMIN_KEY",
      "PORTCULLIS_WEBHOOK_SECRET",
      "PORTCULLIS_SMTP_PASSWORD");

  /** Has a default, but may carry the database password, so in Kubernetes it belongs in the Secret. */
  private static final String PG_URL = "PORTCULLIS_PG_URL";

  private static final String HTTP_PORT = "PORTCULLIS_HTTP_PORT";
  private static final String MANAGEMENT_PORT = "PORTCULLIS_MANAGEMENT_PORT";

  private static Map<String, Object> defaults;
  private static List<String> kustomizeResources;
  /** Every document of every kustomization resource, in file order. */
  private static List<Map<String, Object>> documents;
  /** The Secret example; it is not a kustomization resource. */
  private static List<Map<String, Object>> secretExampleDocuments;

  @BeforeAll
  static void loadEverything() throws IOException {
    defaults = map(loadAll(DEFAULTS).get(0), DEFAULTS.toString());
    Map<String, Object> kustomization = map(loadAll(K8S.resolve("kustomization.yaml")).get(0), "kustomization.yaml");
    kustomizeResources = list(kustomization.get("resources"), "kustomization resources").stream()
        .map(String::valueOf)
        .collect(Collectors.toList());
    // Lenient here, so that a missing or broken file fails its own test with a precise message.
    documents = new ArrayList<>();
    for (String resource : kustomizeResources) {
      Path file = K8S.resolve(resource);
      documents.addAll(loadLeniently(file));
    }
    secretExampleDocuments = loadLeniently(K8S.resolve(SECRET_EXAMPLE));
  }

  @Test
  @DisplayName("list only files that exist and parse as Kubernetes objects, and every manifest is listed")
  void kustomizationListsExistingParseableFiles() throws IOException {
    assertFalse(kustomizeResources.isEmpty(), "kustomization.yaml lists no resources");
    for (String resource : kustomizeResources) {
      Path file = K8S.resolve(resource);
      assertTrue(Files.isRegularFile(file), "kustomization.yaml lists " + resource + ", which does not exist");
      List<Object> parsed = loadAll(file);
      assertFalse(parsed.isEmpty(), resource + " holds no YAML document");
      for (Object document : parsed) {
        Map<String, Object> object = map(document, resource);
        assertNotNull(object.get("apiVersion"), resource + " has a document without apiVersion");
        assertNotNull(object.get("kind"), resource + " has a document without kind");
        assertNotNull(map(object.get("metadata"), resource + " metadata").get("name"),
            resource + " has a document without metadata.name");
        assertEquals("portcullis", labels(object).get("app.kubernetes.io/name"),
            resource + " lacks the label app.kubernetes.io/name: portcullis");
      }
    }
    // Every other manifest in k8s/ is deployed, so none is forgotten; the Secret example is documentation.
    Set<String> onDisk;
    try (Stream<Path> files = Files.list(K8S)) {
      onDisk = files.map(path -> path.getFileName().toString())
          .filter(name -> name.endsWith(".yaml") || name.endsWith(".yml"))
          .filter(name -> !name.equals("kustomization.yaml") && !name.equals(SECRET_EXAMPLE))
          .collect(Collectors.toCollection(TreeSet::new));
    }
    assertFalse(kustomizeResources.contains(SECRET_EXAMPLE),
        "the Secret example must not be applied: it would overwrite the real Secret with placeholders");
    assertEquals(onDisk, new TreeSet<>(kustomizeResources), "manifests in k8s/ and kustomization resources differ");
  }

  @Test
  @DisplayName("give the container the HTTP and management ports that the gateway listens on")
  void containerPortsMatchConfiguration() {
    assertEquals(effectivePort(HTTP_PORT), containerPort("http"), "container port 'http'");
    assertEquals(effectivePort(MANAGEMENT_PORT), containerPort("management"), "container port 'management'");
    assertNotEquals(containerPort("http"), containerPort("management"), "the two ports must differ");
  }

  @Test
  @DisplayName("probe liveness on /health/live and readiness on /health/ready of the management port")
  void probesUseManagementEndpoints() {
    int management = effectivePort(MANAGEMENT_PORT);
    Map<String, Object> liveness = httpGet("livenessProbe");
    assertEquals("/health/live", liveness.get("path"), "liveness probe path");
    assertEquals(management, resolveContainerPort(liveness.get("port")), "liveness probe port");

    Map<String, Object> readiness = httpGet("readinessProbe");
    assertEquals("/health/ready", readiness.get("path"), "readiness probe path");
    assertEquals(management, resolveContainerPort(readiness.get("port")), "readiness probe port");

    Map<String, Object> startup = httpGet("startupProbe");
    assertTrue(String.valueOf(startup.get("path")).startsWith("/health/"), "startup probe path");
    assertEquals(management, resolveContainerPort(startup.get("port")), "startup probe port");
  }

  @Test
  @DisplayName("route the Service's http and management ports to the matching container ports")
  void serviceTargetsContainerPorts() {
    Map<String, Object> spec = map(service().get("spec"), "Service spec");
    assertEquals(podLabels().get("app.kubernetes.io/name"),
        map(spec.get("selector"), "Service selector").get("app.kubernetes.io/name"),
        "the Service selects the Deployment's pods");
    Map<String, Integer> targets = new LinkedHashMap<>();
    for (Object port : list(spec.get("ports"), "Service ports")) {
      Map<String, Object> servicePort = map(port, "Service port");
      targets.put(String.valueOf(servicePort.get("name")), resolveContainerPort(servicePort.get("targetPort")));
    }
    assertEquals(effectivePort(HTTP_PORT), targets.get("http"), "Service port 'http' target");
    assertEquals(effectivePort(MANAGEMENT_PORT), targets.get("management"), "Service port 'management' target");
  }

  @Test
  @DisplayName("let Prometheus scrape /metrics on the Service port that leads to the management port")
  void serviceMonitorScrapesMetrics() {
    Map<String, Object> spec = map(serviceMonitor().get("spec"), "ServiceMonitor spec");
    assertEquals(labels(service()).get("app.kubernetes.io/name"),
        map(map(spec.get("selector"), "ServiceMonitor selector").get("matchLabels"), "matchLabels")
            .get("app.kubernetes.io/name"),
        "the ServiceMonitor selects the Service");
    String managementServicePort = list(map(service().get("spec"), "Service spec").get("ports"), "Service ports")
        .stream()
        .map(port -> map(port, "Service port"))
        .filter(port -> resolveContainerPort(port.get("targetPort")) == effectivePort(MANAGEMENT_PORT))
        .map(port -> String.valueOf(port.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Service port leads to the management port"));
    List<Object> endpoints = list(spec.get("endpoints"), "ServiceMonitor endpoints");
    assertEquals(1, endpoints.size(), "one scrape endpoint");
    Map<String, Object> endpoint = map(endpoints.get(0), "ServiceMonitor endpoint");
    assertEquals(managementServicePort, endpoint.get("port"), "ServiceMonitor port");
    assertEquals("/metrics", endpoint.get("path"), "ServiceMonitor path");
  }

  @Test
  @DisplayName("only set configuration keys that the gateway knows, so a typo fails")
  void everyEnvironmentKeyIsKnown() {
    Set<String> known = new TreeSet<>(defaults.keySet());
    known.addAll(SECRET_NAMES);
    for (String key : configMapData().keySet()) {
      assertTrue(known.contains(key), "ConfigMap key " + key + " is neither in " + DEFAULTS + " nor a secret");
    }
    for (String key : secretExampleData().keySet()) {
      assertTrue(known.contains(key), "Secret key " + key + " is neither in " + DEFAULTS + " nor a secret");
    }
    for (String secret : SECRET_NAMES) {
      assertFalse(defaults.containsKey(secret), DEFAULTS + " must not hold a default for " + secret);
    }
  }

  @Test
  @DisplayName("keep every secret, and the database URL with its password, out of the ConfigMap")
  void configMapHoldsNoSecret() {
    for (String secret : SECRET_NAMES) {
      assertFalse(configMapData().containsKey(secret), "ConfigMap holds the secret " + secret);
    }
    assertFalse(configMapData().containsKey(PG_URL), "ConfigMap holds " + PG_URL + ", which carries a password");
    configMapData().forEach((key, value) ->
        assertInstanceOf(String.class, value, "ConfigMap value of " + key + " must be a quoted string"));
  }

  @Test
  @DisplayName("document every secret in the Secret example with placeholders only")
  void secretExampleHasEverySecretAsPlaceholder() {
    Map<String, Object> data = secretExampleData();
    for (String secret : SECRET_NAMES) {
      assertTrue(data.containsKey(secret), SECRET_EXAMPLE + " lacks " + secret);
    }
    assertTrue(data.containsKey(PG_URL), SECRET_EXAMPLE + " lacks " + PG_URL);
    data.forEach((key, value) -> {
      String text = String.valueOf(value);
      assertTrue(text.contains("CHANGE-ME") || text.contains("<"), key + " looks like a real value: " + text);
    });
  }

  @Test
  @DisplayName("load the ConfigMap and the Secret into the container's environment by their names")
  void containerReadsConfigMapAndSecret() {
    Set<String> configMaps = new TreeSet<>();
    Set<String> secrets = new TreeSet<>();
    for (Object source : list(container().get("envFrom"), "envFrom")) {
      Map<String, Object> from = map(source, "envFrom entry");
      if (from.get("configMapRef") != null) {
        configMaps.add(String.valueOf(map(from.get("configMapRef"), "configMapRef").get("name")));
      }
      if (from.get("secretRef") != null) {
        secrets.add(String.valueOf(map(from.get("secretRef"), "secretRef").get("name")));
      }
    }
    assertEquals(Set.of(name(configMap())), configMaps, "envFrom ConfigMap");
    assertEquals(Set.of(name(secretExample())), secrets, "envFrom Secret");
  }

  @Test
  @DisplayName("run as a non-root user on a read-only root filesystem without privileges")
  void securityContextIsLockedDown() {
    Map<String, Object> pod = map(podSpec().getOrDefault("securityContext", Map.of()), "pod securityContext");
    Map<String, Object> own = map(container().get("securityContext"), "container securityContext");
    assertEquals(Boolean.TRUE, setting(own, pod, "runAsNonRoot"), "runAsNonRoot");
    assertEquals(10001, setting(own, pod, "runAsUser"), "runAsUser");
    assertEquals(Boolean.TRUE, own.get("readOnlyRootFilesystem"), "readOnlyRootFilesystem");
    assertEquals(Boolean.FALSE, own.get("allowPrivilegeEscalation"), "allowPrivilegeEscalation");
    assertEquals(List.of("ALL"), list(map(own.get("capabilities"), "capabilities").get("drop"), "drop"),
        "capabilities dropped");
    assertEquals("RuntimeDefault",
        map(setting(own, pod, "seccompProfile"), "seccompProfile").get("type"), "seccomp profile");
  }

  @Test
  @DisplayName("mount a writable /tmp where the image puts the Vert.x file cache")
  void writableTmpForVertxCache() throws IOException {
    String tmpVolume = list(container().get("volumeMounts"), "volumeMounts").stream()
        .map(mount -> map(mount, "volumeMount"))
        .filter(mount -> "/tmp".equals(mount.get("mountPath")))
        .map(mount -> String.valueOf(mount.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("nothing is mounted at /tmp"));
    boolean emptyDir = list(podSpec().get("volumes"), "volumes").stream()
        .map(volume -> map(volume, "volume"))
        .anyMatch(volume -> tmpVolume.equals(volume.get("name")) && volume.containsKey("emptyDir"));
    assertTrue(emptyDir, "/tmp must be an emptyDir volume");
    Matcher cacheDir = Pattern.compile("-Dvertx\\.cacheDirBase=(\\S+?)[\"\\s,]").matcher(Files.readString(DOCKERFILE));
    assertTrue(cacheDir.find(), "the Dockerfile does not set -Dvertx.cacheDirBase");
    assertTrue(cacheDir.group(1).startsWith("/tmp/"), "vertx.cacheDirBase must be under /tmp: " + cacheDir.group(1));
  }

  @Test
  @DisplayName("start the image with the AppCDS archive its runtime stage dumps, from the jar it runs, before it drops root")
  void classDataSharingArchive() throws IOException {
    List<String> stage = runtimeStage();
    String entrypoint = stage.stream().filter(line -> line.startsWith("ENTRYPOINT")).findFirst().orElseThrow();
    Matcher used = Pattern.compile("-XX:SharedArchiveFile=([^\"\\s,]+)").matcher(entrypoint);
    assertTrue(used.find(), "the ENTRYPOINT does not use an AppCDS archive");
    String jar = entrypoint.replaceAll(".*\"-jar\", *\"([^\"]+)\".*", "$1");
    int dumped = -1;
    for (int i = 0; i < stage.size(); i++) {
      String line = stage.get(i);
      if (line.startsWith("RUN ") && line.contains("-Xshare:dump")
          && line.contains("-XX:SharedArchiveFile=" + used.group(1) + " ") && line.contains("-cp " + jar)) {
        dumped = i;
      }
    }
    assertTrue(dumped >= 0, "no RUN of the runtime stage dumps " + used.group(1) + " from " + jar);
    int user = stage.indexOf(stage.stream().filter(line -> line.startsWith("USER ")).findFirst().orElseThrow());
    assertTrue(dumped < user, "the archive is dumped as root, so the app user cannot rewrite it");
    assertTrue(Files.isRegularFile(Path.of("src/main/cds/portcullis.classlist")), "the class list the dump reads");
  }

  @Test
  @DisplayName("drain connections on shutdown within the termination grace period")
  void gracefulShutdown() {
    Object grace = podSpec().get("terminationGracePeriodSeconds");
    assertInstanceOf(Integer.class, grace, "terminationGracePeriodSeconds");
    assertTrue((Integer) grace >= 30, "terminationGracePeriodSeconds must leave time to drain: " + grace);
    Map<String, Object> preStop = map(map(container().get("lifecycle"), "lifecycle").get("preStop"), "preStop");
    List<Object> command = list(map(preStop.get("exec"), "preStop exec").get("command"), "preStop command");
    assertEquals("sleep", command.get(0), "preStop sleeps so endpoints drain before SIGTERM");
    assertTrue(Integer.parseInt(String.valueOf(command.get(1))) < (Integer) grace,
        "the preStop sleep must be shorter than the grace period");
  }

  @Test
  @DisplayName("scale on CPU with at least one pod kept through disruptions")
  void autoscalingAndDisruptionBudget() {
    Map<String, Object> hpa = map(single("HorizontalPodAutoscaler").get("spec"), "HPA spec");
    assertEquals(name(deployment()), map(hpa.get("scaleTargetRef"), "scaleTargetRef").get("name"), "HPA target");
    Map<String, Object> resource = map(map(list(hpa.get("metrics"), "HPA metrics").get(0), "metric")
        .get("resource"), "resource metric");
    assertEquals("cpu", resource.get("name"), "HPA metric");
    assertEquals(70, map(resource.get("target"), "target").get("averageUtilization"), "HPA CPU target");
    int replicas = (Integer) map(deployment().get("spec"), "Deployment spec").get("replicas");
    assertTrue((Integer) hpa.get("minReplicas") >= 2, "HPA keeps at least two pods");
    assertTrue(replicas >= 2, "Deployment runs at least two pods");

    Map<String, Object> pdb = map(single("PodDisruptionBudget").get("spec"), "PDB spec");
    assertEquals(1, pdb.get("minAvailable"), "PDB minAvailable");
    assertEquals(podLabels().get("app.kubernetes.io/name"),
        map(map(pdb.get("selector"), "PDB selector").get("matchLabels"), "matchLabels").get("app.kubernetes.io/name"),
        "the PDB selects the Deployment's pods");
  }

  @Test
  @DisplayName("build an image that exposes both ports and runs as the same non-root user")
  void dockerfileExposesPortsAndDropsRoot() throws IOException {
    List<String> runtime = runtimeStage();
    Set<Integer> exposed = new TreeSet<>();
    String user = null;
    String workdir = null;
    for (String instruction : runtime) {
      String[] words = instruction.split("\\s+");
      switch (words[0].toUpperCase()) {
        case "EXPOSE":
          for (int i = 1; i < words.length; i++) {
            exposed.add(Integer.parseInt(words[i].replaceAll("/(tcp|udp)$", "")));
          }
          break;
        case "USER":
          user = words[1];
          break;
        case "WORKDIR":
          workdir = words[1];
          break;
        default:
          break;
      }
    }
    // `docker run` has no ConfigMap: the image must expose the ports of conf/portcullis.yaml.
    assertTrue(exposed.contains(defaultPort(HTTP_PORT)), "Dockerfile does not EXPOSE the HTTP port: " + exposed);
    assertTrue(exposed.contains(defaultPort(MANAGEMENT_PORT)),
        "Dockerfile does not EXPOSE the management port: " + exposed);

    assertNotNull(user, "the runtime stage has no USER");
    String uid = user.split(":")[0];
    assertFalse(uid.equals("root") || uid.equals("0"), "the image runs as root: USER " + user);
    assertTrue(uid.matches("\\d+"), "USER should be numeric so runAsNonRoot can check it: " + user);
    Map<String, Object> pod = map(podSpec().getOrDefault("securityContext", Map.of()), "pod securityContext");
    Map<String, Object> own = map(container().get("securityContext"), "container securityContext");
    assertEquals(Integer.parseInt(uid), setting(own, pod, "runAsUser"), "image USER and runAsUser differ");

    // The gateway reads conf/portcullis.yaml relative to its working directory.
    assertEquals("/app", workdir, "runtime WORKDIR");
    assertTrue(runtime.stream().anyMatch(line -> line.matches("(?i)COPY\\s.*\\s/app/conf/?$")),
        "the runtime stage does not copy conf/ to /app/conf");
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private static List<Object> loadAll(Path file) throws IOException {
    assertTrue(Files.isRegularFile(file), file + " does not exist (is the test running from the project root?)");
    List<Object> documents = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file)) {
      for (Object document : new Yaml().loadAll(reader)) {
        if (document != null) {
          documents.add(document);
        }
      }
    } catch (RuntimeException e) {
      fail(file + " does not parse as YAML: " + e.getMessage(), e);
    }
    return documents;
  }

  /** The mappings in a file, or none if it is missing or broken (the test that needs it then says why). */
  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> loadLeniently(Path file) {
    List<Map<String, Object>> mappings = new ArrayList<>();
    try {
      for (Object document : loadAll(file)) {
        if (document instanceof Map) {
          mappings.add((Map<String, Object>) document);
        }
      }
    } catch (IOException | AssertionError e) {
      // reported by kustomizationListsExistingParseableFiles or by the accessor that finds nothing
    }
    return mappings;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value, String what) {
    assertInstanceOf(Map.class, value, what + " must be a mapping");
    return (Map<String, Object>) value;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object value, String what) {
    assertInstanceOf(List.class, value, what + " must be a list");
    return (List<Object>) value;
  }

  private static Map<String, Object> single(String kind) {
    List<Map<String, Object>> found = documents.stream()
        .filter(document -> kind.equals(document.get("kind")))
        .collect(Collectors.toList());
    assertEquals(1, found.size(), "expected exactly one " + kind + " among the kustomization resources");
    return found.get(0);
  }

  private static Map<String, Object> deployment() {
    return single("Deployment");
  }

  private static Map<String, Object> container() {
    List<Object> containers = list(podSpec().get("containers"), "Deployment containers");
    assertEquals(1, containers.size(), "the Deployment runs exactly one container");
    return map(containers.get(0), "the container");
  }

  private static Map<String, Object> service() {
    return single("Service");
  }

  private static Map<String, Object> configMap() {
    return single("ConfigMap");
  }

  private static Map<String, Object> serviceMonitor() {
    return single("ServiceMonitor");
  }

  private static Map<String, Object> secretExample() {
    List<Map<String, Object>> found = secretExampleDocuments.stream()
        .filter(document -> "Secret".equals(document.get("kind")))
        .collect(Collectors.toList());
    assertEquals(1, found.size(), SECRET_EXAMPLE + " must hold exactly one Secret");
    return found.get(0);
  }

  private static String name(Map<String, Object> object) {
    return String.valueOf(map(object.get("metadata"), "metadata").get("name"));
  }

  private static Map<String, Object> labels(Map<String, Object> object) {
    return map(map(object.get("metadata"), "metadata").getOrDefault("labels", Map.of()), "labels");
  }

  private static Map<String, Object> podSpec() {
    Map<String, Object> template = map(map(deployment().get("spec"), "Deployment spec").get("template"), "template");
    return map(template.get("spec"), "pod spec");
  }

  private static Map<String, Object> podLabels() {
    Map<String, Object> template = map(map(deployment().get("spec"), "Deployment spec").get("template"), "template");
    return labels(template);
  }

  private static Map<String, Object> configMapData() {
    return map(configMap().getOrDefault("data", Map.of()), "ConfigMap data");
  }

  private static Map<String, Object> secretExampleData() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.putAll(map(secretExample().getOrDefault("data", Map.of()), "Secret data"));
    data.putAll(map(secretExample().getOrDefault("stringData", Map.of()), "Secret stringData"));
    return data;
  }

  /** The port the gateway listens on in the cluster: the ConfigMap's override, else the default. */
  private static int effectivePort(String key) {
    Object value = configMapData().containsKey(key) ? configMapData().get(key) : defaults.get(key);
    assertNotNull(value, key + " has no default in " + DEFAULTS);
    return Integer.parseInt(String.valueOf(value));
  }

  private static int defaultPort(String key) {
    assertNotNull(defaults.get(key), key + " has no default in " + DEFAULTS);
    return Integer.parseInt(String.valueOf(defaults.get(key)));
  }

  private static int containerPort(String name) {
    return list(container().get("ports"), "container ports").stream()
        .map(port -> map(port, "container port"))
        .filter(port -> name.equals(port.get("name")))
        .map(port -> (Integer) port.get("containerPort"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("the container has no port named " + name));
  }

  /** A probe or Service targetPort is either a container port number or a container port name. */
  private static int resolveContainerPort(Object port) {
    if (port instanceof Integer) {
      return (Integer) port;
    }
    assertNotNull(port, "a port reference is missing");
    return containerPort(String.valueOf(port));
  }

  private static Map<String, Object> httpGet(String probe) {
    return map(map(container().get(probe), probe).get("httpGet"), probe + " httpGet");
  }

  /** A container securityContext setting wins over the pod's. */
  private static Object setting(Map<String, Object> own, Map<String, Object> pod, String key) {
    return own.containsKey(key) ? own.get(key) : pod.get(key);
  }

  /** The instructions of the last stage, continuation lines joined and comments dropped. */
  private static List<String> runtimeStage() throws IOException {
    List<String> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : Files.readAllLines(DOCKERFILE)) {
      String line = raw.strip();
      if (line.startsWith("#") || (line.isEmpty() && current.length() == 0)) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      instructions.add(current.toString().strip());
      current.setLength(0);
    }
    int lastFrom = -1;
    for (int i = 0; i < instructions.size(); i++) {
      if (instructions.get(i).toUpperCase().startsWith("FROM ")) {
        lastFrom = i;
      }
    }
    assertTrue(lastFrom >= 0, "the Dockerfile has no FROM");
    return instructions.subList(lastFrom, instructions.size());
  }
}
