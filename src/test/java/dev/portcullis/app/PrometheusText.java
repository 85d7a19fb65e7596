package dev.portcullis.app;

import dev.portcullis.testing.TestGateway;

/** Reads counters out of a gateway's /metrics text. */
final class PrometheusText {

  private PrometheusText() {
  }

  /** The value of an unlabelled counter, 0 when it is not there yet. */
  static double counter(TestGateway gateway, String name) {
    return gateway.management().get("/metrics").body().lines()
        .filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
        .findFirst()
        .orElse(0);
  }
}
