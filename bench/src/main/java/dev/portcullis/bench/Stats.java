package dev.portcullis.bench;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What one scenario measured: a latency histogram (microseconds) per operation, recorded only inside the
 * measured window, and every error of the whole run (setup and warm-up too: a benchmark run must have none).
 */
final class Stats {

  private static final long MAX_MICROS = 60_000_000L;

  /** An operation: a single HTTP request, or a composite one (an OTP pair) that is not counted as a request. */
  private static final class Op {
    final boolean request;
    final Histogram histogram = new ConcurrentHistogram(1, MAX_MICROS, 3);

    Op(boolean request) {
      this.request = request;
    }
  }

  private final Map<String, Op> ops = new ConcurrentHashMap<>();
  private final Histogram sendLag = new ConcurrentHistogram(1, MAX_MICROS, 3);
  /** Per second of the measured window: answers, and the slowest of them (microseconds). */
  private final long[] perSecondCount = new long[600];
  private final long[] perSecondMax = new long[600];
  private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
  private final AtomicLong windowErrors = new AtomicLong();
  private volatile boolean recording;
  private volatile long windowStart;
  private volatile long windowEnd;

  private ProcSampler sampler;

  /** Samples the server's CPU and memory over the measured window. */
  void watch(ProcSampler procSampler) {
    this.sampler = procSampler;
  }

  void startWindow() {
    windowStart = System.nanoTime();
    recording = true;
    if (sampler != null) {
      sampler.start();
    }
  }

  /**
   * Closes the measured window; only the first call counts. The load loops call it from a timer and again when
   * they stop, since a timer that fires late would otherwise leave a finished run's window open (a negative rate).
   */
  synchronized void endWindow() {
    if (windowEnd != 0 || windowStart == 0) {
      return;
    }
    recording = false;
    windowEnd = System.nanoTime();
    if (sampler != null) {
      sampler.stop();
    }
  }

  /** A successful HTTP request that took {@code nanos}. */
  void request(String op, long nanos) {
    record(op, nanos, true);
  }

  /** A successful composite operation (not counted as a request). */
  void composite(String op, long nanos) {
    record(op, nanos, false);
  }

  /** Open loop: how long after its scheduled time an operation was actually sent. */
  void sendLag(long nanos) {
    if (recording) {
      sendLag.recordValue(Math.max(1, Math.min(MAX_MICROS, nanos / 1000)));
    }
  }

  void error(String op, String what) {
    errors.computeIfAbsent(op + " " + what, k -> new AtomicLong()).incrementAndGet();
    if (recording) {
      windowErrors.incrementAndGet();
    }
  }

  long errorCount() {
    return errors.values().stream().mapToLong(AtomicLong::get).sum();
  }

  private void record(String op, long nanos, boolean request) {
    if (!recording) {
      return;
    }
    long micros = Math.max(1, Math.min(MAX_MICROS, nanos / 1000));
    ops.computeIfAbsent(op, k -> new Op(request)).histogram.recordValue(micros);
    int second = (int) ((System.nanoTime() - windowStart) / 1_000_000_000L);
    if (request && second >= 0 && second < perSecondCount.length) {
      synchronized (perSecondCount) {
        perSecondCount[second]++;
        perSecondMax[second] = Math.max(perSecondMax[second], micros);
      }
    }
  }

  JsonObject toJson() {
    double seconds = (windowEnd - windowStart) / 1e9;
    JsonObject opsJson = new JsonObject();
    long requests = 0;
    for (Map.Entry<String, Op> entry : new TreeMap<>(ops).entrySet()) {
      Histogram h = entry.getValue().histogram;
      long count = h.getTotalCount();
      if (entry.getValue().request) {
        requests += count;
      }
      opsJson.put(entry.getKey(), new JsonObject()
          .put("request", entry.getValue().request)
          .put("count", count)
          .put("per_s", round(count / seconds))
          .put("mean_ms", round(h.getMean() / 1000.0))
          .put("p50_ms", ms(h.getValueAtPercentile(50)))
          .put("p99_ms", ms(h.getValueAtPercentile(99)))
          .put("p999_ms", ms(h.getValueAtPercentile(99.9)))
          .put("max_ms", ms(h.getMaxValue())));
    }
    JsonObject errorsJson = new JsonObject();
    new TreeMap<>(errors).forEach((k, v) -> errorsJson.put(k, v.get()));
    JsonObject json = new JsonObject();
    if (sampler != null) {
      json.put("server", sampler.toJson());
    }
    if (sendLag.getTotalCount() > 0) {
      json.put("send_lag_ms", new JsonObject().put("p50", ms(sendLag.getValueAtPercentile(50)))
          .put("p99", ms(sendLag.getValueAtPercentile(99))).put("max", ms(sendLag.getMaxValue())));
    }
    io.vertx.core.json.JsonArray timeline = new io.vertx.core.json.JsonArray();
    synchronized (perSecondCount) {
      for (int i = 0; i < Math.min(perSecondCount.length, (int) Math.ceil(seconds)); i++) {
        timeline.add(new JsonObject().put("requests", perSecondCount[i]).put("max_ms", ms(perSecondMax[i])));
      }
    }
    json.put("per_second", timeline);
    return json
        .put("measured_s", round(seconds))
        .put("requests", requests)
        .put("requests_per_s", round(requests / seconds))
        .put("ops", opsJson)
        .put("errors_total", errorCount())
        .put("errors_in_window", windowErrors.get())
        .put("errors", errorsJson);
  }

  private static double ms(long micros) {
    return round(micros / 1000.0);
  }

  private static double round(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }
}
