package dev.portcullis.testing;

/** Reads counters out of a gateway's /metrics text. */
public final class PrometheusText {

  private PrometheusText() {
  }

  /** The value of a counter as its series is written ({@code name{label="value"}}), 0 when it is not there yet. */
  public static double counter(TestGateway gateway, String name) {
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
        .findFirst()
        .orElse(0);
  }
}
