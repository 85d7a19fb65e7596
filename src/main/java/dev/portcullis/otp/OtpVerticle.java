package dev.portcullis.otp;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.license.DeviceBinding;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.user.UserRepository;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.web.client.WebClient;

/** Generates, stores, delivers and checks one-time codes: serves {@code OTP_SEND} and {@code OTP_VERIFY}. */
public final class OtpVerticle extends VerticleBase {

  private Postgres pg;
  private RedisStore redis;
  private WebClient web;
  private MailClient mail;
  private OtpDelivery delivery;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    redis = RedisStore.create(vertx, config);
    web = WebClient.create(vertx);
    mail = DeliveryChannels.mailClient(vertx, config);
    MasterKey masterKey = MasterKey.from(config);
    Bus bus = new Bus(vertx, config);
    AuditLog audit = new AuditLog(bus);
    OtpMetrics metrics = new OtpMetrics(Metrics.registry(vertx));
    OtpStore store = new OtpStore(redis);
    OtpCodes codes = new OtpCodes(masterKey);
    delivery = new OtpDelivery(vertx, DeliveryChannels.from(config, web, mail), metrics, audit,
        config.otpDeliveryBackoffMs());
    OtpSender.Limits limits = OtpSender.Limits.from(config);
    AppDirectory apps = new AppDirectory(new AppRepository(pg), masterKey);
    apps.listen(vertx);
    OtpSender sender = new OtpSender(apps, store, codes, delivery,
        metrics, audit, limits);
    OtpVerifier verifier = new OtpVerifier(store, codes, new UserRepository(pg), bus, metrics, audit,
        new DeviceBinding(pg, masterKey), new SecurityEvents(vertx));
    return Future.all(
        Bus.serve(vertx, Bus.OTP_SEND, sender::send).completion(),
        Bus.serve(vertx, Bus.OTP_VERIFY, verifier::verify).completion(),
        Bus.serve(vertx, Bus.OTP_PROVE, verifier::prove).completion());
  }

  @Override
  public Future<?> stop() {
    Future<Void> delivered = delivery == null ? Future.succeededFuture() : delivery.finished();
    return delivered.eventually(() -> {
      web.close();
      Future<Void> mailClosed = mail == null ? Future.succeededFuture() : mail.close();
      return Future.join(mailClosed, pg.close(), redis.close());
    });
  }
}
