package dev.portcullis.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU and resident memory of one process (the server under load) over the measured window, read from /proc
 * on a thread of its own: CPU as cores used (utime + stime over wall time), RSS as the largest sample, and how
 * busy the whole machine was (load generator, Postgres and Redis included).
 */
final class ProcSampler {

  private static final long TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux/x86_64 kernel
  private static final long SAMPLE_MS = 250;

  private final long pid;
  private volatile boolean running;
  private Thread thread;
  private long startTicks;
  private long[] startMachine;
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
        .put("machine_busy_cores", round(all == 0 ? 0 : busy / all * cores));
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

  /** {busy, total} jiffies of all CPUs. */
  private static long[] machineTicks() {
    String[] cpu = read("/proc/stat").split("\n")[0].trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < cpu.length; i++) {
      total += Long.parseLong(cpu[i]);
    }
    long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
    return new long[] {total - idle, total};
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
