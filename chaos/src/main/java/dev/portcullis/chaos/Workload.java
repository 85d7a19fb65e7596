package dev.portcullis.chaos;

import io.vertx.core.json.JsonObject;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Mixed load of closed-loop users, as client backends produce it: each user signs in by OTP (send, code from
 * the webhook, verify), then uses its session ({@code /auth/me} 60%, refresh 30%, logout 10%, after which it
 * signs in again). A call that got no real answer (503, 5xx, no answer) is retried as a careful client does:
 * the same code, the same refresh token (safe within the reuse grace), after a second.
 */
final class Workload {

  private final Client client;
  private final Receiver receiver;
  private volatile long deadline;
  private final long thinkMs;

  Workload(Client client, Receiver receiver, long durationMs, long thinkMs) {
    this.client = client;
    this.receiver = receiver;
    this.deadline = System.currentTimeMillis() + durationMs;
    this.thinkMs = thinkMs;
  }

  void run(int users) throws InterruptedException {
    Thread[] threads = new Thread[users];
    for (int i = 0; i < users; i++) {
      threads[i] = new Thread(this::user, "user-" + i);
      threads[i].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
  }

  /** Ends the load: every user stops after its current call. */
  void stop() {
    deadline = 0;
  }

  private boolean running() {
    return System.currentTimeMillis() < deadline;
  }

  private void user() {
    JsonObject session = null;
    while (running()) {
      if (session == null) {
        session = login();
        continue;
      }
      int dice = ThreadLocalRandom.current().nextInt(100);
      String access = session.getString("access_token");
      String refresh = session.getString("refresh_token");
      if (dice < 60) {
        retried(() -> client.me(access));
      } else if (dice < 90) {
        Client.Answer answer = retried(() -> client.refresh(refresh));
        session = answer != null && answer.ok() ? answer.body() : (answer == null ? session : null);
      } else {
        Client.Answer answer = retried(() -> client.post("logout", "/auth/logout",
            client.credentials().put("refresh_token", refresh), new JsonObject().put("at", access)));
        session = answer == null ? session : null;
      }
      Chaos.pause(thinkMs);
    }
  }

  /** A new session, or null when this attempt did not get one (the caller tries again while running). */
  private JsonObject login() {
    Client.Answer sent = retried(() -> client.send(email()));
    if (sent == null || !sent.ok()) {
      Chaos.pause(thinkMs);
      return null;
    }
    String requestId = sent.body().getString("otp_request_id");
    String code = receiver.code(requestId, 10_000);
    if (code == null) {
      return null;
    }
    Client.Answer verified = retried(() -> client.verify(requestId, code));
    return verified != null && verified.ok() ? verified.body() : null;
  }

  /**
   * The call, again after a second while it gets no real answer; null when the load ends first. A real answer is
   * any status below 500 but 429 (a refusal to wait out is not an answer either).
   */
  private Client.Answer retried(Supplier<Client.Answer> call) {
    while (running()) {
      Client.Answer answer = call.get();
      if (answer.status() > 0 && answer.status() < 500 && answer.status() != 429) {
        return answer;
      }
      Chaos.pause(1000);
    }
    return null;
  }

  static String email() {
    return "chaos-" + UUID.randomUUID() + "@example.com";
  }
}
