package dev.portcullis.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("The origin of a callback URL, as a browser's Origin header names it")
class CallbackOriginTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(nullValues = "none", value = {
      "https://shop.example.com/auth/callback, https://shop.example.com",
      // h66: browsers send the host in lower case and no default port
      "https://Main2.Example.com:8443/cb, https://main2.example.com:8443",
      "https://def.example.com:443/p, https://def.example.com",
      "HTTP://localhost:80/x, http://localhost",
      "http://localhost:3000/cb, http://localhost:3000",
      "https://[::1]:8443/cb, https://[::1]:8443",
      "myapp://callback, none",
      "not a url, none"})
  void origin(String url, String origin) {
    assertEquals(origin, CallbackUrls.origin(url));
  }
}
