package dev.portcullis.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Password logins (challenge, then login) driven by wrk and {@code bench/lua/password.lua}, one connection a thread.
 * On one machine the load generator's CPU is taken from the server's, where in production the callers are elsewhere:
 * the harness's Java client took 0.05 to 0.17 cores for some 55 logins a second on a 2-core VM (the most while its
 * own JIT still compiled, in the first windows), wrk about 0.01 from the first second.
 */
final class WrkLogins {

  private final String target;
  private final Path script;
  private final Path users;
  private final int connections;
  private final String appId;
  private final String appSecret;

  WrkLogins(String target, Path luaDir, List<String> emails, int connections, String appId, String appSecret)
      throws IOException {
    this.target = target;
    this.script = luaDir.resolve("password.lua");
    this.users = Files.createTempFile("bench-password-users", ".txt");
    this.users.toFile().deleteOnExit();
    Files.writeString(users, String.join("\n", emails) + "\n");
    this.connections = connections;
    this.appId = appId;
    this.appSecret = appSecret;
  }

  /** Logins for {@code seconds} (blocking: call it off the event loops); wrk's result, with logins per second. */
  JsonObject run(int seconds) throws IOException, InterruptedException {
    Path out = Files.createTempFile("bench-password-wrk", ".json");
    try {
      ProcessBuilder wrk = new ProcessBuilder("wrk", "-t" + connections, "-c" + connections, "-d" + seconds + "s",
          "--timeout", "10s", "-s", script.toString(), target).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      Map<String, String> env = wrk.environment();
      env.put("WRK_LUA_DIR", script.getParent().toString());
      env.put("WRK_USERS", users.toString());
      env.put("WRK_CONNECTIONS", Integer.toString(connections));
      env.put("WRK_APP_ID", appId);
      env.put("WRK_APP_SECRET", appSecret);
      env.put("WRK_PASSWORD", Portcullis.PASSWORD);
      env.put("WRK_OUT", out.toString());
      Process process = wrk.start();
      if (!process.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("wrk did not end within " + (seconds + 30) + " s");
      }
      JsonObject result = new JsonObject(Files.readString(out));
      double duration = result.getLong("duration_us") / 1e6;
      return result.put("logins_per_s", Math.round(result.getLong("logins") / duration * 1000) / 1000.0);
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
