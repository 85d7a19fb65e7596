package dev.portcullis.otp;

import dev.portcullis.webhook.DeliveryFailure;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The SMTP channel")
class SmtpChannelTest {

  @Test
  @DisplayName("a server that accepts the connection and never answers fails the attempt as retryable, in bounded time")
  void stalledServerTimesOut() throws Exception {
    Vertx vertx = Vertx.vertx();
    CountDownLatch testOver = new CountDownLatch(1);
    try (ServerSocket stalled = new ServerSocket(0)) {
      Thread acceptor = new Thread(() -> {
        try (Socket ignored = stalled.accept()) {
          testOver.await();
        } catch (Exception closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      MailClient mail = MailClient.create(vertx, new MailConfig().setHostname("127.0.0.1").setPort(stalled.getLocalPort()));
      SmtpChannel channel = new SmtpChannel(mail, "no-reply@example.com", 300);
      OtpMessage message = new OtpMessage(Identity.email("someone@example.com"), "123456", UUID.randomUUID(), "Shop",
          UUID.randomUUID().toString(), 300, "req-1", null);
      CompletableFuture<Throwable> failure = new CompletableFuture<>();
      vertx.runOnContext(ignored -> channel.deliver(message)
          .onComplete(done -> failure.complete(done.cause())));
      Throwable cause = failure.get(5, TimeUnit.SECONDS);
      assertTrue(cause instanceof DeliveryFailure delivery && delivery.retryable(), String.valueOf(cause));
    } finally {
      testOver.countDown();
      vertx.close().await();
    }
  }
}
