package dev.portcullis.token;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Signs access tokens, rotates refresh tokens, revokes sessions, serves the JWKS (see issue 5). */
public final class TokenVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    List<String> addresses = List.of(Bus.TOKEN_ISSUE, Bus.TOKEN_REFRESH, Bus.TOKEN_LOGOUT, Bus.TOKEN_INTROSPECT,
        Bus.TOKEN_JWKS, Bus.TOKEN_ROTATE_KEY);
    return Future.all(addresses.stream()
        .map(address -> Bus.serve(vertx, address, this::notYet).completion())
        .toList());
  }

  private Future<JsonObject> notYet(JsonObject request) {
    return Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "not implemented yet"));
  }
}
