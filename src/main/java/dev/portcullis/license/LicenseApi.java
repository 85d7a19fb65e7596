package dev.portcullis.license;

import dev.portcullis.app.AppAccess;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.ApiContext;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.token.DeviceSessions;
import dev.portcullis.token.LicenseCertificates;
import io.vertx.ext.web.Router;

/**
 * The license routes of one HTTP verticle: the owner's admin API under {@code /v1/apps/:app_id} (admin key or
 * owner token, then the app-access guard) and the device calls under {@code /licenses} (the license key).
 */
public final class LicenseApi {

  private final AdminAuth adminAuth;
  private final AppAccess access;
  private final ClientAuth clientAuth;
  private final AdminApi admin;
  private final DeviceApi devices;

  public LicenseApi(ApiContext api, AdminAuth adminAuth, ClientAuth clientAuth) {
    this.adminAuth = adminAuth;
    this.access = new AppAccess(api.apps());
    this.clientAuth = clientAuth;
    LicenseKeys keys = new LicenseKeys(api.masterKey());
    LicenseRepository licenses = new LicenseRepository(api.pg());
    LicenseMetrics metrics = new LicenseMetrics(api.metrics());
    DeviceSessions sessions = new DeviceSessions(api.pg(), api.redis(), api.audit());
    this.admin = new AdminApi(new PolicyRepository(api.pg()), licenses, keys, sessions, api.audit());
    KeyAuth auth = new KeyAuth(api.appDirectory(), keys, licenses,
        new CallLimits(api.redis(), LicenseSettings.from(api.config())), metrics);
    Certificates certificates = new Certificates(
        new LicenseCertificates(api.vertx(), api.config().issuer(), api.pg(), api.masterKey()));
    this.devices = new DeviceApi(api.vertx(), auth, new Seats(api.pg()), licenses, certificates, sessions, api.audit(),
        metrics);
  }

  public void mount(Router router) {
    String policies = "/v1/apps/:app_id/license-policies";
    String licenses = "/v1/apps/:app_id/licenses";
    router.post(policies).handler(adminAuth::handle).handler(access::handle).handler(admin::createPolicy);
    router.get(policies).handler(adminAuth::handle).handler(access::handle).handler(admin::listPolicies);
    router.get(policies + "/:policy_id").handler(adminAuth::handle).handler(access::handle).handler(admin::getPolicy);
    router.patch(policies + "/:policy_id").handler(adminAuth::handle).handler(access::handle)
        .handler(admin::updatePolicy);
    router.delete(policies + "/:policy_id").handler(adminAuth::handle).handler(access::handle)
        .handler(admin::deletePolicy);
    router.post(licenses).handler(adminAuth::handle).handler(access::handle).handler(admin::createLicense);
    router.get(licenses).handler(adminAuth::handle).handler(access::handle).handler(admin::listLicenses);
    router.get(licenses + "/:license_id").handler(adminAuth::handle).handler(access::handle).handler(admin::getLicense);
    router.post(licenses + "/:license_id/suspend").handler(adminAuth::handle).handler(access::handle)
        .handler(admin::suspend);
    router.post(licenses + "/:license_id/reinstate").handler(adminAuth::handle).handler(access::handle)
        .handler(admin::reinstate);
    router.post(licenses + "/:license_id/revoke").handler(adminAuth::handle).handler(access::handle)
        .handler(admin::revoke);
    router.delete(licenses + "/:license_id/devices/:device_id").handler(adminAuth::handle).handler(access::handle)
        .handler(admin::deleteDevice);

    router.post("/licenses/activate").handler(this::backend).handler(devices::activate);
    router.post("/licenses/verify").handler(this::backend).handler(devices::verify);
    router.post("/licenses/heartbeat").handler(this::backend).handler(devices::heartbeat);
    router.post("/licenses/deactivate").handler(this::backend).handler(devices::deactivate);
    router.post("/licenses/checkout").handler(this::backend).handler(devices::checkout);
  }

  private void backend(io.vertx.ext.web.RoutingContext ctx) {
    KeyAuth.backendCredentials(clientAuth, ctx);
  }
}
