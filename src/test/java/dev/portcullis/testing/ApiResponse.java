package dev.portcullis.testing;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpHeaders;

/** What a client saw: status, headers, body. */
public record ApiResponse(int status, HttpHeaders headers, String body) {

  public JsonObject json() {
    return new JsonObject(body);
  }

  public String header(String name) {
    return headers.firstValue(name).orElse(null);
  }

  /** The {@code error} code of an error answer. */
  public String error() {
    return json().getString("error");
  }

  @Override
  public String toString() {
    return status + " " + body;
  }
}
