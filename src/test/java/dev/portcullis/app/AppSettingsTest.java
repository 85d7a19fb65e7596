package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("App settings")
class AppSettingsTest {

  @Test
  @DisplayName("sms_allowed_countries keeps each country once, however often it is given, so the list stays small")
  void countriesDeduplicated() {
    JsonArray many = new JsonArray();
    for (int i = 0; i < 1000; i++) {
      many.add(i % 2 == 0 ? "id" : "SG");
    }
    AppSettings settings = AppSettings.merge(AppSettings.defaults(),
        new JsonObject().put(AppSettings.SMS_ALLOWED_COUNTRIES, many));
    assertEquals(List.of("ID", "SG"), settings.smsAllowedCountries());
  }

  @Test
  @DisplayName("sms_allowed_countries takes the codes phone numbers are placed in outside ISO 3166 (Kosovo's XK)")
  void countriesOfPhoneNumbers() {
    AppSettings settings = AppSettings.merge(AppSettings.defaults(),
        new JsonObject().put(AppSettings.SMS_ALLOWED_COUNTRIES, new JsonArray().add("rs").add("xk").add("AC")));
    assertEquals(List.of("RS", "XK", "AC"), settings.smsAllowedCountries());
  }
}
