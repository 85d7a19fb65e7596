package dev.portcullis.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * {@code jfr --file F [--top N] [--out F]}: what a JFR recording of the gateway under load shows. CPU samples
 * by top frame (self), by method anywhere on the stack (inclusive), by thread; allocation by top frame in the
 * gateway's own code; GC pauses; contended monitors.
 */
final class JfrSummary {

  private JfrSummary() {
  }

  static void main(Args args) throws Exception {
    int top = args.integer("top", 25);
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> categories = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> allocation = new HashMap<>();
    Map<String, Long> monitors = new HashMap<>();
    long samples = 0;
    long gcCount = 0;
    Duration gcPause = Duration.ZERO;
    Duration gcLongest = Duration.ZERO;
    long allocated = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args.string("file")))) {
      String type = event.getEventType().getName();
      switch (type) {
        case "jdk.ExecutionSample" -> {
          RecordedStackTrace stack = event.getStackTrace();
          if (stack == null || stack.getFrames().isEmpty()) {
            continue;
          }
          samples++;
          List<RecordedFrame> frames = stack.getFrames();
          self.merge(name(frames.get(0)), 1L, Long::sum);
          categories.merge(category(frames.get(0).getMethod().getType().getName()), 1L, Long::sum);
          Set<String> seen = new HashSet<>();
          for (RecordedFrame frame : frames) {
            String method = name(frame);
            if (method.startsWith("dev.portcullis") && seen.add(method)) {
              inclusive.merge(method, 1L, Long::sum);
            }
          }
          String thread = event.getThread("sampledThread") == null ? "?" : event.getThread("sampledThread").getJavaName();
          threads.merge(thread == null ? "?" : thread.replaceAll("-?\\d+$", "-N"), 1L, Long::sum);
        }
        case "jdk.ObjectAllocationSample" -> {
          long weight = event.getLong("weight");
          allocated += weight;
          RecordedStackTrace stack = event.getStackTrace();
          if (stack != null) {
            allocation.merge(firstOwnFrame(stack.getFrames()), weight, Long::sum);
          }
        }
        case "jdk.GarbageCollection" -> {
          gcCount++;
          gcPause = gcPause.plus(event.getDuration("sumOfPauses"));
          Duration longest = event.getDuration("longestPause");
          gcLongest = longest.compareTo(gcLongest) > 0 ? longest : gcLongest;
        }
        case "jdk.JavaMonitorEnter" -> {
          RecordedStackTrace stack = event.getStackTrace();
          String where = stack == null || stack.getFrames().isEmpty() ? "?" : name(stack.getFrames().get(0));
          String monitor = event.getClass("monitorClass") == null ? "?" : event.getClass("monitorClass").getName();
          monitors.merge(monitor + " in " + where, 1L, Long::sum);
        }
        default -> {
        }
      }
    }
    StringBuilder out = new StringBuilder();
    out.append("JFR summary of ").append(args.string("file")).append('\n');
    out.append("CPU samples: ").append(samples).append('\n');
    section(out, "CPU by thread", threads, samples, top);
    section(out, "CPU by what the top frame belongs to", categories, samples, top);
    section(out, "CPU self (top frame)", self, samples, top);
    section(out, "CPU inclusive, gateway methods (the method anywhere on the stack)", inclusive, samples, top);
    out.append(String.format("%nAllocation sampled: %.1f MB in total%n", allocated / 1e6));
    section(out, "Allocation by first gateway frame (else top frame)", allocation, allocated, 15);
    out.append(String.format("%nGC: %d collections, %d ms paused in total, longest pause %d ms%n",
        gcCount, gcPause.toMillis(), gcLongest.toMillis()));
    if (!monitors.isEmpty()) {
      section(out, "Contended monitors (> 20 ms by default settings)", monitors,
          monitors.values().stream().mapToLong(Long::longValue).sum(), 10);
    }
    System.out.print(out);
    String file = args.string("out", null);
    if (file != null) {
      Files.writeString(Path.of(file), out.toString());
    }
  }

  private static void section(StringBuilder out, String title, Map<String, Long> counts, long total, int top) {
    out.append('\n').append(title).append(":\n");
    List<Map.Entry<String, Long>> sorted = counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .collect(Collectors.toList());
    for (Map.Entry<String, Long> entry : sorted) {
      out.append(String.format("  %5.1f%%  %s%n", 100.0 * entry.getValue() / Math.max(1, total), entry.getKey()));
    }
  }

  /** What a class belongs to, for a coarse split of where the CPU goes. */
  private static String category(String type) {
    String[][] prefixes = {
        {"java.math.", "RSA arithmetic (java.math)"},
        {"sun.security.rsa.", "RSA (sun.security.rsa)"},
        {"sun.security.provider.", "digests and SecureRandom (sun.security.provider)"},
        {"com.sun.crypto.provider.", "HMAC, AES (com.sun.crypto.provider)"},
        {"javax.crypto.", "javax.crypto"},
        {"java.security.", "java.security"},
        {"com.fasterxml.jackson.", "JSON (Jackson)"},
        {"io.vertx.core.json.", "JSON (Vert.x JsonObject)"},
        {"io.vertx.pgclient.", "Postgres client"},
        {"io.vertx.sqlclient.", "Postgres client"},
        {"io.vertx.redis.", "Redis client"},
        {"io.vertx.micrometer.", "metrics (Micrometer)"},
        {"io.micrometer.", "metrics (Micrometer)"},
        {"io.vertx.ext.web.", "Vert.x Web (router, body handler)"},
        {"io.vertx.ext.auth.", "Vert.x Auth (JWT)"},
        {"io.vertx.core.eventbus.", "event bus"},
        {"io.vertx.core.http.", "Vert.x HTTP"},
        {"io.vertx.", "Vert.x core"},
        {"io.netty.", "Netty (I/O, buffers, HTTP codec)"},
        {"ch.qos.logback.", "logging"},
        {"org.slf4j.", "logging"},
        {"net.logstash.", "logging"},
        {"dev.portcullis.", "gateway code"},
        {"java.util.", "java.util"},
        {"java.lang.", "java.lang"},
        {"sun.nio.", "NIO"},
        {"java.nio.", "NIO"},
        {"jdk.", "JDK internals"},
    };
    for (String[] prefix : prefixes) {
      if (type.startsWith(prefix[0])) {
        return prefix[1];
      }
    }
    return "other: " + type.substring(0, Math.max(0, type.lastIndexOf('.')));
  }

  private static String firstOwnFrame(List<RecordedFrame> frames) {
    for (RecordedFrame frame : frames) {
      if (frame.getMethod().getType().getName().startsWith("dev.portcullis")) {
        return name(frame);
      }
    }
    return frames.isEmpty() ? "?" : name(frames.get(0));
  }

  private static String name(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }
}
