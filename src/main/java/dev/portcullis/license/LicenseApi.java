package dev.portcullis.license;

import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.Bus;
import dev.portcullis.core.OncePerWindow;
import dev.portcullis.core.RedisStore;
import dev.portcullis.security.SecurityEvents;
import dev.portcullis.token.SessionEnds;
import dev.portcullis.token.LicenseCertificates;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

/**
 * The license handlers of one API verticle: {@link AdminApi} for the owner's routes under
 * {@code /v1/apps/:app_id} (behind the admin and app-access guards) and {@link DeviceApi} for the device calls
 * under {@code /licenses} (the license key; client credentials when presented).
 */
public record LicenseApi(AdminApi admin, DeviceApi devices) {

  public static LicenseApi create(Vertx vertx, GatewayConfig config, Postgres pg, RedisStore redis, MasterKey masterKey,
                                  AppDirectory apps, AuditLog audit, MeterRegistry registry) {
    LicenseKeys keys = new LicenseKeys(masterKey);
    LicenseRepository licenses = new LicenseRepository(pg);
    LicenseMetrics metrics = new LicenseMetrics(registry);
    LicenseGenerations generations = new LicenseGenerations(vertx, redis);
    Bus.serve(vertx, Bus.LICENSES_DETACHED, detached -> generations.bump(detached.appId()));
    CallLimits limits = new CallLimits(redis, LicenseSettings.from(config), new KnownGenerations().listen(vertx));
    KeyAuth auth = new KeyAuth(apps, keys, licenses, limits, metrics);
    Certificates certificates = new Certificates(new LicenseCertificates(vertx, config, pg, masterKey));
    LicenseChanges changes = new LicenseChanges(new SessionEnds(pg, redis, audit, registry), new AuditStaging(pg, audit), generations);
    return new LicenseApi(
        new AdminApi(new PolicyRepository(pg), licenses, keys, changes),
        new DeviceApi(new SecurityEvents(vertx), auth, new Seats(pg), licenses, certificates, changes, audit, metrics,
            generations, new OncePerWindow(redis, DeviceApi.REFUSAL_REPORT_MS)));
  }
}
