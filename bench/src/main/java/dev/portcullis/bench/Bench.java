package dev.portcullis.bench;

import java.util.Arrays;

/**
 * Entry point of the harness's Java tools (driven by bench/run.sh):
 * <ul>
 *   <li>{@code sign}: raw RS256 signing (and verifying) rate of this JVM on all cores;</li>
 *   <li>{@code bare}: a bare Vert.x JSON endpoint, the ceiling for {@code /auth/me};</li>
 *   <li>{@code bare-hash}: a bare HTTP front to Argon2id, the floor under password logins;</li>
 *   <li>{@code load}: the load generator (with the OTP webhook receiver) for Portcullis and Keycloak;</li>
 *   <li>{@code proc}: CPU and memory of a server that wrk loads;</li>
 *   <li>{@code jfr}: the hot methods of a JFR recording;</li>
 *   <li>{@code report}: the table and the ratios of one run from its JSON files.</li>
 * </ul>
 */
public final class Bench {

  private Bench() {
  }

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: java -jar portcullis-bench.jar sign|argon2|bare|bare-hash|load|proc|jfr|report --key value ...");
      System.exit(2);
    }
    Args options = new Args(args, 1);
    switch (args[0]) {
      case "sign" -> SignBench.main(options);
      case "argon2" -> Argon2Bench.main(options);
      case "bare" -> BareJsonServer.main(options);
      case "bare-hash" -> BareHashServer.main(options);
      case "load" -> LoadMain.main(options);
      case "report" -> Report.main(options);
      case "proc" -> ProcSampler.main(options);
      case "jfr" -> JfrSummary.main(options);
      default -> {
        System.err.println("unknown command " + Arrays.toString(args));
        System.exit(2);
      }
    }
  }
}
