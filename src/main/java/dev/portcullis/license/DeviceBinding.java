package dev.portcullis.license;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Postgres;
import dev.portcullis.core.messages.TokenMessages.Issue;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * Binds a login's session to a licensed device, for every login path ({@code verify-otp}, and {@code login} and
 * {@code verify} when they pass {@code device_id} + {@code key}): the key must be a license key of the app, the
 * license active and of this user or of no user, and the device one of its live devices. The key is the proof;
 * a device id alone proves nothing.
 */
public final class DeviceBinding {

  private final LicenseKeys keys;
  private final LicenseRepository licenses;

  public DeviceBinding(Postgres pg, MasterKey masterKey) {
    this.keys = new LicenseKeys(masterKey);
    this.licenses = new LicenseRepository(pg);
  }

  /**
   * For a first login (an identity with no user yet), before it makes its user, so that a key it cannot bind makes
   * no account: the refusals a device's key earns whoever presents it, {@code invalid_license} (unknown key, or the
   * device is not a live device of it) or {@code license_expired} | {@code license_suspended} |
   * {@code license_revoked}, and {@code forbidden} for a license issued to a user, which cannot be one not made yet
   * (h57: the account was made, then the binding refused). No device asked for ({@code deviceId} null): nothing to
   * check.
   */
  public Future<Void> precheck(UUID appId, UUID deviceId, String key) {
    return deviceId == null ? Future.succeededFuture() : usable(appId, deviceId, key).compose(license ->
        license.userId() != null ? Future.failedFuture(anotherUsers()) : Future.succeededFuture());
  }

  /**
   * The login bound to the device, with the license's entitlements; fails as {@link #precheck} does, or with
   * {@code forbidden} when the license is another user's. No device asked for ({@code deviceId} null): the login as
   * it is.
   */
  public Future<Issue> bind(Issue login, UUID deviceId, String key) {
    if (deviceId == null) {
      return Future.succeededFuture(login);
    }
    return usable(login.appId(), deviceId, key).compose(license -> {
      if (license.userId() != null && !license.userId().equals(login.userId())) {
        return Future.failedFuture(anotherUsers());
      }
      return Future.succeededFuture(login.withDevice(deviceId,
          license.entitlements().stream().map(String::valueOf).toList()));
    });
  }

  private static ApiException anotherUsers() {
    return new ApiException(ErrorCode.FORBIDDEN, "key: this license belongs to another user");
  }

  private Future<License> usable(UUID appId, UUID deviceId, String key) {
    if (key == null || key.isBlank()) {
      return Future.failedFuture(ApiException.invalid("key", "is required with device_id (the device's license key)"));
    }
    return licenses.byKeyAndDevice(appId, keys.hash(appId, key), deviceId).compose(found -> {
      if (found == null) {
        return Future.failedFuture(KeyAuth.invalidLicense());
      }
      ApiException refusal = found.license().refusal();
      if (refusal != null) {
        return Future.failedFuture(refusal);
      }
      if (!found.deviceLive()) {
        return Future.failedFuture(new ApiException(ErrorCode.INVALID_LICENSE,
            "device_id: not an active device of this license (deactivated, or silent past its heartbeat interval)"));
      }
      return Future.succeededFuture(found.license());
    });
  }
}
