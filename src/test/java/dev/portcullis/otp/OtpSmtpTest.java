package dev.portcullis.otp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.GatewayExtension;
import dev.portcullis.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.MimeMessage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("OTP delivery by SMTP")
class OtpSmtpTest {

  private static final GreenMail smtp = new GreenMail(ServerSetupTest.SMTP.dynamicPort());

  @RegisterExtension
  static final GatewayExtension env = GatewayExtension.create().config(OtpSmtpTest::smtpChannel);

  // Set by env before any test of the class runs.
  private static TestGateway gateway;

  /** The email channel's configuration: starts the SMTP server first, whose port is known once it listens. */
  private static JsonObject smtpChannel() {
    smtp.start();
    return new JsonObject()
        .put(GatewayConfig.OTP_EMAIL_CHANNEL, "smtp")
        .put(GatewayConfig.SMTP_HOST, "127.0.0.1")
        .put(GatewayConfig.SMTP_PORT, smtp.getSmtp().getPort())
        .put(GatewayConfig.SMTP_STARTTLS, false)
        .put(GatewayConfig.SMTP_FROM, "codes@portcullis.test");
  }

  @AfterAll
  static void stop() {
    smtp.stop();
  }

  @Test
  @DisplayName("an email code arrives as a plain-text email naming the app, and verifies")
  void emailArrives() throws Exception {
    OtpClient client = OtpClient.forNewApp(gateway, "smtp-app", new JsonObject());
    ApiResponse sent = client.send("email", "Heidi@Example.com");
    assertEquals(200, sent.status(), sent.body());
    assertTrue(smtp.waitForIncomingEmail(10_000, 1), "an email arrived");
    MimeMessage mail = smtp.getReceivedMessages()[0];
    assertEquals("heidi@example.com", mail.getAllRecipients()[0].toString());
    assertEquals("codes@portcullis.test", mail.getFrom()[0].toString());
    assertTrue(mail.getSubject().contains("App smtp-app"), mail.getSubject());
    assertTrue(mail.getContentType().startsWith("text/plain"), mail.getContentType());
    String body = GreenMailUtil.getBody(mail);
    assertTrue(body.contains("App smtp-app"), body);
    Matcher code = Pattern.compile("code is ([0-9]{6})").matcher(body);
    assertTrue(code.find(), body);
    ApiResponse verified = client.verify(sent.json().getString("otp_request_id"), code.group(1));
    assertEquals(200, verified.status(), verified.body());
    assertEquals("heidi@example.com", verified.json().getJsonObject("user").getString("email"));
  }
}
