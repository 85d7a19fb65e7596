package dev.portcullis.password;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.AppRepository;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.Bus;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Metrics;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.RedisStore;
import dev.portcullis.license.DeviceBinding;
import dev.portcullis.otp.DeliveryChannels;
import dev.portcullis.otp.OtpCodes;
import dev.portcullis.otp.OtpDelivery;
import dev.portcullis.otp.OtpMetrics;
import dev.portcullis.otp.OtpSender;
import dev.portcullis.otp.OtpStore;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserPasswords;
import dev.portcullis.user.UserRepository;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.web.client.WebClient;

/**
 * Passwords and challenges: serves the {@code PASSWORD_*} addresses. Its own work is I/O on the event loop;
 * every Argon2id hash runs on the process's one {@link HashingPool}.
 */
public final class PasswordVerticle extends VerticleBase {

  /** Concurrent password changes per process; more wait for a connection, within the backend timeout. */
  private static final int CHANGES_POOL_SIZE = 4;

  private Postgres pg;
  /** Password changes' transactions: each holds its user's row while the token service revokes on the other pool. */
  private Postgres changesPg;
  private RedisStore redis;
  private WebClient web;
  private MailClient mail;
  private OtpDelivery delivery;

  @Override
  public Future<?> start() {
    GatewayConfig config = GatewayConfig.from(config());
    pg = Postgres.create(vertx, config);
    changesPg = Postgres.createBesideRequests(vertx, config, "portcullis-password-changes", CHANGES_POOL_SIZE);
    redis = RedisStore.create(vertx, config);
    web = WebClient.create(vertx);
    mail = DeliveryChannels.mailClient(vertx, config);
    MasterKey masterKey = MasterKey.from(config);
    MeterRegistry registry = Metrics.registry(vertx);
    Bus bus = new Bus(vertx, config);
    AuditLog audit = new AuditLog(bus);
    AppDirectory apps = new AppDirectory(new AppRepository(pg), masterKey);
    // settings changed by an owner apply to the next request, as in every verticle that caches apps
    apps.listen(vertx);
    OtpCodes names = new OtpCodes(masterKey);
    OtpMetrics otpMetrics = new OtpMetrics(registry);
    PasswordMetrics metrics = new PasswordMetrics(registry);
    PasswordStore store = new PasswordStore(redis);
    UserPasswords passwords = new UserPasswords(pg, changesPg);
    UserChanges changes = new UserChanges(redis);
    OtpStore otpStore = new OtpStore(redis);
    delivery = new OtpDelivery(vertx, DeliveryChannels.from(config, web, mail), otpMetrics, audit,
        config.otpDeliveryBackoffMs());
    SecurityAlerts alerts = new SecurityAlerts(new SecurityEvents(vertx));
    VerificationCodes codes = new VerificationCodes(otpStore, names, delivery, otpMetrics, audit,
        OtpSender.Limits.from(config), alerts, new UserRepository(pg));
    Challenges challenges = new Challenges(vertx, store, names, audit, metrics);
    LoginFailures failures = new LoginFailures(store, otpStore, names, audit, metrics, alerts);
    HashingSettings hashingSettings = HashingSettings.from(config);
    HashingPool pool = HashingPool.shared(vertx, hashingSettings, registry);
    return PasswordHasher.create(hashingSettings.argon2id(), pool).compose(hashing -> {
      DeviceBinding devices = new DeviceBinding(pg, masterKey);
      AuditStaging staging = new AuditStaging(pg, audit);
      Logins logins = new Logins(apps, passwords, hashing, challenges, failures, bus, audit, staging, metrics, devices,
          new ChangeAllowance(store, audit, metrics));
      Signups signups = new Signups(apps, new UserRepository(pg), passwords, hashing, challenges, codes, store, names,
          bus, audit, metrics, changes, devices);
      Resets resets = new Resets(apps, passwords, hashing, challenges, codes, failures, bus, audit, staging, metrics,
          changes);
      return Future.all(java.util.List.of(
          Bus.serve(vertx, Bus.PASSWORD_CHALLENGE, body -> challenges.issue(apps, body)).completion(),
          Bus.serve(vertx, Bus.PASSWORD_SIGNUP, signups::signup).completion(),
          Bus.serve(vertx, Bus.PASSWORD_VERIFY, signups::verify).completion(),
          Bus.serve(vertx, Bus.PASSWORD_RESEND, signups::resend).completion(),
          Bus.serve(vertx, Bus.PASSWORD_LOGIN, logins::login).completion(),
          Bus.serve(vertx, Bus.PASSWORD_PROVE, logins::prove).completion(),
          Bus.serve(vertx, Bus.PASSWORD_CHANGE, logins::change).completion(),
          Bus.serve(vertx, Bus.PASSWORD_RESET_REQUEST, resets::request).completion(),
          Bus.serve(vertx, Bus.PASSWORD_RESET, resets::reset).completion()));
    });
  }

  @Override
  public Future<?> stop() {
    Future<Void> delivered = delivery == null ? Future.succeededFuture() : delivery.finished();
    return delivered.eventually(() -> {
      web.close();
      Future<Void> mailClosed = mail == null ? Future.succeededFuture() : mail.close();
      return Future.join(mailClosed, pg.close(), changesPg.close(), redis.close());
    });
  }
}
