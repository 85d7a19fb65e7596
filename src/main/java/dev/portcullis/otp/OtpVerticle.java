package dev.portcullis.otp;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** Generates, stores, delivers and checks one-time codes (see issue 4). */
public final class OtpVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    return Future.all(
        Bus.serve(vertx, Bus.OTP_SEND, this::notYet).completion(),
        Bus.serve(vertx, Bus.OTP_VERIFY, this::notYet).completion());
  }

  private Future<JsonObject> notYet(JsonObject request) {
    return Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "not implemented yet"));
  }
}
