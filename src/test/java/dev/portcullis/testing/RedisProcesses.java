package dev.portcullis.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Redis topologies made of real Debian {@code redis-server} and {@code redis-sentinel} processes on free
 * loopback ports, for the tests of {@code PORTCULLIS_REDIS_MODE}: a Sentinel set (one master, one replica,
 * three sentinels) or a three-master Cluster. Every process is started by the test and killed by
 * {@link #close()}; nothing touches the shared Redis on 6379.
 */
public final class RedisProcesses implements AutoCloseable {

  public static final String MASTER_NAME = "mymaster";

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final List<Integer> dataPorts = new ArrayList<>();
  private final List<Integer> sentinelPorts = new ArrayList<>();
  private final java.util.Map<Integer, Process> byPort = new java.util.HashMap<>();

  private RedisProcesses(Path dir) {
    this.dir = dir;
  }

  /**
   * Skips the calling test when the Redis binaries are missing, except in CI ({@code CI=true}), where their
   * absence is a broken build machine and fails the test.
   */
  public static void requireBinaries(String... binaries) {
    List<String> missing = Stream.of(binaries).filter(binary -> which(binary) == null).toList();
    if (missing.isEmpty()) {
      return;
    }
    String message = "missing " + String.join(", ", missing) + " (Debian packages redis-server, redis-sentinel, redis-tools)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(message);
    }
    Assumptions.abort(message + ": skipped outside CI");
  }

  /** One master, one replica of it, three sentinels watching it under {@link #MASTER_NAME} (quorum 2). */
  public static RedisProcesses sentinelSet() {
    requireBinaries("redis-server", "redis-sentinel", "redis-cli");
    RedisProcesses set = new RedisProcesses(tempDir("pc-sentinel"));
    try {
      int master = set.server("--port", "%d");
      set.server("--port", "%d", "--replicaof", "127.0.0.1", Integer.toString(master));
      for (int i = 0; i < 3; i++) {
        set.sentinel(master);
      }
      set.awaitSentinelsSeeEachOther();
      set.awaitReplicaInSync();
      return set;
    } catch (RuntimeException | Error e) {
      set.close();
      throw e;
    }
  }

  /** Three masters sharing the 16384 slots, no replicas. */
  public static RedisProcesses cluster() {
    return cluster(0, 2000);
  }

  /**
   * Three masters sharing the 16384 slots, each with a replica in sync. A node is called failing after 5 s without
   * an answer, so a replica frozen for less stays healthy in the cluster's eyes.
   */
  public static RedisProcesses clusterWithReplicas() {
    RedisProcesses cluster = cluster(1, 5_000);
    try {
      Await.until("every replica to be in sync", Duration.ofSeconds(30), () -> cluster.dataPorts.stream()
          .map(port -> cli(port, "INFO", "replication"))
          .filter(info -> info.contains("role:master"))
          .allMatch(info -> info.contains("state=online")));
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  private static RedisProcesses cluster(int replicasPerMaster, int nodeTimeoutMs) {
    requireBinaries("redis-server", "redis-cli");
    RedisProcesses cluster = new RedisProcesses(tempDir("pc-cluster"));
    try {
      for (int i = 0; i < 3 * (1 + replicasPerMaster); i++) {
        cluster.server("--port", "%d", "--cluster-enabled", "yes", "--cluster-config-file", "nodes-%d.conf",
            "--cluster-node-timeout", Integer.toString(nodeTimeoutMs));
      }
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      cluster.dataPorts.forEach(port -> create.add("127.0.0.1:" + port));
      create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
      run(create);
      Await.until("the cluster to cover every slot on every node", Duration.ofSeconds(20), () -> cluster.dataPorts.stream()
          .allMatch(port -> cli(port, "CLUSTER", "INFO").contains("cluster_state:ok")));
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  /**
   * Freezes (SIGSTOP) the replica of the master that serves the slot of {@code hashTag}, until the returned handle
   * is closed (SIGCONT, then waits for that master to see it in sync again).
   */
  public AutoCloseable freezeClusterReplicaServing(String hashTag) {
    String[][] pair = masterAndReplicaServing(hashTag);
    int masterPort = clusterPort(pair[0]);
    long pid = byPort.get(clusterPort(pair[1])).pid();
    run(List.of("kill", "-STOP", Long.toString(pid)));
    return () -> {
      run(List.of("kill", "-CONT", Long.toString(pid)));
      Await.until("the replica to be in sync again", Duration.ofSeconds(30),
          () -> cli(masterPort, "INFO", "replication").contains("state=online"));
    };
  }

  /** Whether the master serving {@code hashTag}'s slot calls its replica failing ({@code fail} or {@code fail?}). */
  public boolean clusterReplicaFailing(String hashTag) {
    return masterAndReplicaServing(hashTag)[1][2].contains("fail");
  }

  /** The {@code CLUSTER NODES} fields, as the master itself sees them, of the master serving a slot and its replica. */
  private String[][] masterAndReplicaServing(String hashTag) {
    int first = dataPorts.get(0);
    int slot = Integer.parseInt(cli(first, "CLUSTER", "KEYSLOT", "{" + hashTag + "}").strip());
    String[] owner = nodes(first).stream().filter(node -> node[2].contains("master") && serves(node, slot))
        .findFirst().orElseThrow();
    List<String[]> seen = nodes(clusterPort(owner));
    String[] master = seen.stream().filter(node -> node[0].equals(owner[0])).findFirst().orElseThrow();
    String[] replica = seen.stream().filter(node -> node[3].equals(master[0])).findFirst().orElseThrow();
    return new String[][] {master, replica};
  }

  private static List<String[]> nodes(int port) {
    return cli(port, "CLUSTER", "NODES").lines().map(line -> line.strip().split(" ")).toList();
  }

  private static boolean serves(String[] node, int slot) {
    for (int i = 8; i < node.length; i++) {
      String[] range = node[i].split("-");
      if (!node[i].startsWith("[") && Integer.parseInt(range[0]) <= slot
          && slot <= Integer.parseInt(range[range.length - 1])) {
        return true;
      }
    }
    return false;
  }

  /** The data port of a {@code CLUSTER NODES} line's {@code ip:port@cport}. */
  private static int clusterPort(String[] node) {
    return Integer.parseInt(node[1].substring(node[1].indexOf(':') + 1, node[1].indexOf('@')));
  }

  /**
   * Adds a fourth master that holds no slots (a node waiting for a resharding): the Cluster serves every slot without
   * it, so it can hang or die with no key lost. Returns its port, listed first by {@link #nodesUrl()}.
   */
  public int addEmptyMaster() {
    int first = dataPorts.get(0);
    int port = server("--port", "%d", "--cluster-enabled", "yes", "--cluster-config-file", "nodes-%d.conf",
        "--cluster-node-timeout", "2000");
    dataPorts.remove(Integer.valueOf(port));
    dataPorts.add(0, port);
    assertOk(cli(first, "CLUSTER", "MEET", "127.0.0.1", Integer.toString(port)));
    Await.until("every node to know the new master", Duration.ofSeconds(20), () -> dataPorts.stream()
        .allMatch(node -> cli(node, "CLUSTER", "NODES").lines().filter(line -> line.contains("master")
            && !line.contains("fail") && !line.contains("handshake")).count() == 4));
    return port;
  }

  /** Freezes the process on that port (SIGSTOP: it keeps its connections and answers nothing) until closed. */
  public AutoCloseable freeze(int port) {
    long pid = byPort.get(port).pid();
    run(List.of("kill", "-STOP", Long.toString(pid)));
    return () -> run(List.of("kill", "-CONT", Long.toString(pid)));
  }

  private static void assertOk(String reply) {
    if (!reply.strip().equals("OK")) {
      throw new IllegalStateException("redis answered " + reply);
    }
  }

  /** The value of {@code PORTCULLIS_REDIS_URL}: the sentinels of a Sentinel set, the nodes of a Cluster. */
  public String nodesUrl() {
    List<Integer> ports = sentinelPorts.isEmpty() ? dataPorts : sentinelPorts;
    return ports.stream().map(port -> "redis://127.0.0.1:" + port).collect(Collectors.joining(","));
  }

  public List<Integer> dataPorts() {
    return List.copyOf(dataPorts);
  }

  /** The port of the current master, as the sentinels see it. */
  public int masterPort() {
    String reply = cli(sentinelPorts.get(0), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME);
    String[] lines = reply.strip().split("\\R");
    return Integer.parseInt(lines[lines.length - 1].strip());
  }

  /** Asks the sentinels to promote the replica now, and waits until they all name the new master. */
  public int failover() {
    awaitReplicaInSync();
    int before = masterPort();
    cli(sentinelPorts.get(0), "SENTINEL", "FAILOVER", MASTER_NAME);
    Await.until("the sentinels to name a new master", Duration.ofSeconds(20), () -> sentinelPorts.stream()
        .allMatch(port -> !cli(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME).contains(Integer.toString(before))));
    int after = masterPort();
    Await.until("the new master to accept writes", Duration.ofSeconds(20),
        () -> cli(after, "ROLE").startsWith("master"));
    return after;
  }

  /**
   * Freezes the Sentinel set's replica (SIGSTOP) until the returned handle is closed (SIGCONT, then waits for
   * the replica to be in sync again): a replica that acknowledges nothing.
   */
  public AutoCloseable freezeReplica() {
    int master = masterPort();
    int replica = dataPorts.stream().filter(port -> port != master).findFirst().orElseThrow();
    long pid = byPort.get(replica).pid();
    run(List.of("kill", "-STOP", Long.toString(pid)));
    return () -> {
      run(List.of("kill", "-CONT", Long.toString(pid)));
      awaitReplicaInSync();
    };
  }

  /** Whether every sentinel calls the master's replica down (subjectively, or its link lost). */
  public boolean replicaDownForSentinels() {
    return sentinelPorts.stream().allMatch(RedisProcesses::replicaDown);
  }

  /** Whether the first sentinel, the one a gateway asks first, still calls the replica healthy. */
  public boolean replicaHealthyForFirstSentinel() {
    return !replicaDown(sentinelPorts.get(0));
  }

  /** Down or disconnected, as the gateway judges it (a link out of touch for ten down-after periods too). */
  private static boolean replicaDown(int sentinel) {
    String flags = field(cli(sentinel, "SENTINEL", "REPLICAS", MASTER_NAME), "flags");
    return flags.contains("s_down") || flags.contains("disconnected");
  }

  /** Whether the sentinel sees the replica replicating (its link to the master ok). */
  private static boolean replicating(int sentinel) {
    String replicas = cli(sentinel, "SENTINEL", "REPLICAS", MASTER_NAME);
    return !replicaDown(sentinel) && field(replicas, "master-link-status").equals("ok");
  }

  /** Runs one {@code redis-cli} command against a local port and returns its raw output. */
  public static String cli(int port, String... command) {
    List<String> line = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
    line.addAll(List.of(command));
    return run(line);
  }

  /**
   * Runs several commands on one {@code redis-cli} connection (one a line, as redis-cli reads them from its input),
   * for those that only hold for the connection they are sent on ({@code ASKING}); returns the raw output.
   */
  public static String cliSession(int port, List<String> commands) {
    return run(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)), String.join("\n", commands) + "\n");
  }

  private int server(String... args) {
    int port = TestBackends.freePort();
    List<String> line = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", dir.toString(), "--protected-mode", "no"));
    for (String arg : args) {
      line.add(arg.contains("%d") ? arg.formatted(port) : arg);
    }
    byPort.put(port, start(line, "redis-" + port + ".log"));
    dataPorts.add(port);
    awaitPing(port);
    return port;
  }

  private void sentinel(int masterPort) {
    int port = TestBackends.freePort();
    Path conf = dir.resolve("sentinel-" + port + ".conf");
    write(conf, String.join("\n",
        "port " + port,
        "bind 127.0.0.1",
        "protected-mode no",
        "dir " + dir,
        "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 2",
        "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
        "sentinel failover-timeout " + MASTER_NAME + " 4000",
        "sentinel parallel-syncs " + MASTER_NAME + " 1",
        ""));
    start(List.of("redis-sentinel", conf.toString()), "sentinel-" + port + ".log");
    sentinelPorts.add(port);
    awaitPing(port);
  }

  /** Waits until the current master reports its replica online. */
  public void awaitReplicaInSync() {
    Await.until("the replica to be in sync", Duration.ofSeconds(20),
        () -> cli(masterPort(), "INFO", "replication").contains("state=online"));
    Await.until("every sentinel to see the replica replicating", Duration.ofSeconds(30),
        () -> sentinelPorts.stream().allMatch(RedisProcesses::replicating));
  }

  private void awaitSentinelsSeeEachOther() {
    Await.until("every sentinel to know the replica and the two other sentinels", Duration.ofSeconds(20),
        () -> sentinelPorts.stream().allMatch(port -> {
          String master = cli(port, "SENTINEL", "MASTER", MASTER_NAME);
          return field(master, "num-other-sentinels").equals("2") && field(master, "num-slaves").equals("1");
        }));
  }

  /** The value after a field name in a flat reply printed one item a line. */
  private static String field(String reply, String name) {
    String[] lines = reply.strip().split("\\R");
    for (int i = 0; i < lines.length - 1; i++) {
      if (lines[i].strip().equals(name)) {
        return lines[i + 1].strip();
      }
    }
    return "";
  }

  private Process start(List<String> command, String logName) {
    try {
      Process process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve(logName).toFile())
          .start();
      processes.add(process);
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void awaitPing(int port) {
    Await.until("redis on " + port + " to answer PING", Duration.ofSeconds(10),
        () -> cli(port, "PING").contains("PONG"));
  }

  private static String run(List<String> command) {
    return run(command, "");
  }

  private static String run(List<String> command, String input) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      try (var stdin = process.getOutputStream()) {
        stdin.write(input.getBytes(StandardCharsets.UTF_8));
      }
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("timed out: " + command);
      }
      return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String which(String binary) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String entry : path.split(":")) {
      Path candidate = Path.of(entry, binary);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }

  private static Path tempDir(String prefix) {
    return TempDirs.create(prefix);
  }

  private static void write(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    for (Process process : processes) {
      process.destroyForcibly();
    }
    for (Process process : processes) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
    } catch (IOException ignored) {
      // a temp dir left behind is harmless
    }
  }
}
