package dev.portcullis.otp;

import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One log line per code, with the masked address; the code itself only in dev mode. */
public final class LogChannel implements DeliveryChannel {

  private static final Logger LOG = LoggerFactory.getLogger(LogChannel.class);

  private final boolean devMode;

  public LogChannel(boolean devMode) {
    this.devMode = devMode;
  }

  @Override
  public String name() {
    return "log";
  }

  @Override
  public Future<Void> deliver(OtpMessage message) {
    if (message.code() == null) {
      LOG.info("notice sent by {} to {} (app {}, request {})", message.to().kind().channel(), message.to().masked(),
          message.appId(), message.requestId());
    } else if (devMode) {
      LOG.info("OTP code {} for {} to {} (app {}, otp_request_id {}, request {})", message.code(),
          message.to().kind().channel(), message.to().masked(), message.appId(), message.otpRequestId(),
          message.requestId());
    } else {
      LOG.info("OTP sent by {} to {} (app {}, otp_request_id {}, request {})", message.to().kind().channel(),
          message.to().masked(), message.appId(), message.otpRequestId(), message.requestId());
    }
    return Future.succeededFuture();
  }
}
