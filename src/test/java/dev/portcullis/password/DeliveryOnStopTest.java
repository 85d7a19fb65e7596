package dev.portcullis.password;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.portcullis.owner.SignIns;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A verification code on its way when the gateway stops")
class DeliveryOnStopTest {

  @Test
  @DisplayName("is still delivered: the stop waits for the deliveries of answers already given (they start 100 ms "
      + "after their answer, and a stop cancelled them with its timers)")
  void deliveredThroughAStop() {
    try (WebhookReceiver receiver = new WebhookReceiver();
         TestGateway gateway = TestGateway.start(SignIns.webhookConfig(receiver))) {
      PasswordClient client = PasswordClient.forNewApp(gateway, "delivery-stop",
          new JsonObject().put("challenge_required", false));
      ApiResponse signup = client.signup("stopping@example.com", "Correct-Horse-Battery-9");
      assertEquals(202, signup.status(), signup.body());
      gateway.stop();
      String verificationId = signup.json().getString("verification_id");
      assertEquals(6, receiver.awaitCode(verificationId).length(), "the code sent despite the stop");
    }
  }
}
