package dev.portcullis.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU and resident memory of one process (the server under load) over the measured window, read from /proc
 * on a thread of its own: CPU as cores used (utime + stime over wall time), RSS as the largest sample, and how
 * busy the whole machine was (load generator, Postgres and Redis included). From the kernel's scheduler
 * statistics ({@code /proc/<pid>/task/<tid>/schedstat}), how long the server's event loops, and this JVM's
 * threads, were runnable but waiting for a core: the part of a latency that is neither process's own work.
 */
final class ProcSampler {

  private static final long TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux/x86_64 kernel
  private static final long SAMPLE_MS = 250;

  private final long pid;
  private volatile boolean running;
  private Thread thread;
  private long startTicks;
  private long[] startMachine;
  private Map<Long, long[]> startAll;
  private long[] startEventLoops;
  private long[] startSelf;
  private double machineBusyCores;
  private double stolenCores;
  private long startNanos;
  private long maxRssKb;
  private long lastRssKb;
  private JsonObject result = new JsonObject();

  ProcSampler(long pid) {
    this.pid = pid;
  }

  void start() {
    startNanos = System.nanoTime();
    startTicks = processTicks();
    startMachine = machineTicks();
    startAll = allProcesses();
    startEventLoops = schedstat(pid, EVENT_LOOP);
    startSelf = schedstat(ProcessHandle.current().pid(), "");
    running = true;
    thread = new Thread(this::sample, "proc-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  void stop() {
    if (!running) {
      return;
    }
    running = false;
    thread.interrupt();
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    long ticks = processTicks() - startTicks;
    long[] machine = machineTicks();
    Map<Long, long[]> endAll = allProcesses();
    machineBusyCores = (machine[0] - startMachine[0]) / (double) Math.max(1, machine[1] - startMachine[1])
        * Runtime.getRuntime().availableProcessors();
    stolenCores = (machine[2] - startMachine[2]) / (double) Math.max(1, machine[1] - startMachine[1])
        * Runtime.getRuntime().availableProcessors();
    double busy = machine[0] - startMachine[0];
    double all = machine[1] - startMachine[1];
    int cores = Runtime.getRuntime().availableProcessors();
    lastRssKb = rssKb();
    maxRssKb = Math.max(maxRssKb, lastRssKb);
    result = new JsonObject()
        .put("pid", pid)
        .put("cpu_cores", round(ticks / (double) TICKS_PER_SECOND / seconds))
        .put("rss_max_mb", round(maxRssKb / 1024.0))
        .put("rss_end_mb", round(lastRssKb / 1024.0))
        .put("machine_busy_cores", round(all == 0 ? 0 : busy / all * cores))
        .put("cpu_cores_by_process", byProcess(endAll, seconds))
        .put("server_event_loops", scheduled(startEventLoops, schedstat(pid, EVENT_LOOP), seconds))
        .put("this_jvm", scheduled(startSelf, schedstat(ProcessHandle.current().pid(), ""), seconds));
  }

  /** Threads named so ({@code /proc/.../comm} keeps 15 characters) are Vert.x's event loops. */
  private static final String EVENT_LOOP = "vert.x-eventloo";

  /**
   * The threads of a process whose name starts with {@code prefix}: their count, and the nanoseconds they ran and
   * waited on a run queue (runnable, no core free), summed.
   */
  private static long[] schedstat(long pid, String prefix) {
    long[] sums = new long[3];
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        if (!read(task.resolve("comm").toString()).startsWith(prefix)) {
          continue;
        }
        String[] fields = read(task.resolve("schedstat").toString()).trim().split(" ");
        if (fields.length >= 2) {
          sums[0]++;
          sums[1] += Long.parseLong(fields[0]);
          sums[2] += Long.parseLong(fields[1]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // no scheduler statistics: reported as zero
    }
    return sums;
  }

  /** Cores' worth of running, and of waiting for a core, of a set of threads over the window. */
  private static JsonObject scheduled(long[] start, long[] end, double seconds) {
    return new JsonObject()
        .put("threads", end[0])
        .put("running_cores", round((end[1] - start[1]) / 1e9 / seconds))
        .put("waiting_for_a_core", round((end[2] - start[2]) / 1e9 / seconds));
  }

  /**
   * Where the machine's CPU went over the window, in cores: the server, the load generator (wrk, or this
   * JVM), Redis, Postgres, and everything else (other work on the machine: the noise).
   */
  private JsonObject byProcess(Map<Long, long[]> endAll, double seconds) {
    long self = ProcessHandle.current().pid();
    Map<String, Long> ticks = new HashMap<>();
    for (Map.Entry<Long, long[]> entry : endAll.entrySet()) {
      long pid = entry.getKey();
      long[] end = entry.getValue();
      long[] start = startAll.get(pid);
      long delta = start == null ? end[0] : end[0] - start[0];
      String group = pid == this.pid ? "server"
          : pid == self || end[1] == WRK ? "load_generator"
          : end[1] == REDIS ? "redis"
          : end[1] == POSTGRES ? "postgres"
          : end[1] == POSTGRES_AUTOVACUUM ? "postgres_autovacuum"
          : end[1] == POSTGRES_BACKGROUND ? "postgres_background"
          : "other";
      ticks.merge(group, Math.max(0, delta), Long::sum);
    }
    JsonObject json = new JsonObject();
    double attributed = 0;
    for (String group : new String[] {"server", "load_generator", "redis", "postgres", "postgres_autovacuum",
        "postgres_background", "other"}) {
      double cores = ticks.getOrDefault(group, 0L) / (double) TICKS_PER_SECOND / seconds;
      attributed += cores;
      json.put(group, round(cores));
    }
    // time the hypervisor gave this VM's runnable CPUs to someone else: counted busy by /proc/stat, run by nobody here
    json.put("steal", round(stolenCores));
    // softirq (loopback networking), interrupts, and processes that ended within the window
    return json.put("kernel_and_unattributed", round(Math.max(0, machineBusyCores - attributed - stolenCores)));
  }

  private static final long OTHER = 0;
  private static final long WRK = 1;
  private static final long REDIS = 2;
  private static final long POSTGRES = 3;
  private static final long POSTGRES_AUTOVACUUM = 4;
  private static final long POSTGRES_BACKGROUND = 5;

  /** A Postgres backend serving clients, an autovacuum worker, or a background process (checkpointer, WAL writer). */
  private static long postgresKind(Path dir) {
    String command = read(dir.resolve("cmdline").toString());
    if (command.contains("autovacuum")) {
      return POSTGRES_AUTOVACUUM;
    }
    return command.contains("checkpointer") || command.contains("walwriter") || command.contains("background writer")
        ? POSTGRES_BACKGROUND : POSTGRES;
  }

  /** pid to {utime + stime ticks, kind} of every process. */
  private static Map<Long, long[]> allProcesses() {
    Map<Long, long[]> all = new HashMap<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path dir : dirs) {
        String stat = read(dir.resolve("stat").toString());
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open) {
          continue; // ended while being read: not counted
        }
        String comm = stat.substring(open + 1, close);
        String[] fields = stat.substring(close + 2).split(" ");
        long kind = comm.equals("wrk") ? WRK : comm.startsWith("redis-server") ? REDIS
            : comm.equals("postgres") ? postgresKind(dir) : OTHER;
        all.put(Long.parseLong(dir.getFileName().toString()),
            new long[] {Long.parseLong(fields[11]) + Long.parseLong(fields[12]), kind});
      }
    } catch (IOException e) {
      // /proc unreadable: nothing to attribute
    }
    return all;
  }

  JsonObject toJson() {
    return result;
  }

  /** {@code proc --pid P --delay S --seconds S --out F}: samples a process that another tool (wrk) loads. */
  static void main(Args args) throws Exception {
    ProcSampler sampler = new ProcSampler(args.integer("pid", 0));
    Thread.sleep(args.integer("delay-ms", 0));
    sampler.start();
    Thread.sleep(args.integer("seconds", 10) * 1000L);
    sampler.stop();
    Files.writeString(Path.of(args.string("out")), sampler.toJson().encodePrettily());
  }

  private void sample() {
    while (running) {
      maxRssKb = Math.max(maxRssKb, rssKb());
      try {
        Thread.sleep(SAMPLE_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private long processTicks() {
    String stat = read("/proc/" + pid + "/stat");
    if (stat.isEmpty()) {
      return 0;
    }
    // fields after the ")" that closes the command name: state is field 3, utime 14, stime 15
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private long rssKb() {
    for (String line : read("/proc/" + pid + "/status").split("\n")) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }

  /** {busy, total, steal} jiffies of all CPUs (busy includes steal). */
  private static long[] machineTicks() {
    String[] cpu = read("/proc/stat").split("\n")[0].trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < cpu.length; i++) {
      total += Long.parseLong(cpu[i]);
    }
    long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
    long steal = cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
    return new long[] {total - idle, total, steal};
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file));
    } catch (IOException e) {
      return "";
    }
  }

  private static double round(double value) {
    return Math.round(value * 100.0) / 100.0;
  }
}
