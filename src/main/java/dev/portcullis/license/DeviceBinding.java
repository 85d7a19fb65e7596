package dev.portcullis.license;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Postgres;
import dev.portcullis.token.DeviceBinder;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * Whether a login may bind its session to a device: the license key must be one of the app's, the license
 * active and of this user or of no user, and the device one of its live devices. The key is the proof; the
 * device id alone proves nothing.
 */
public final class DeviceBinding implements DeviceBinder {

  private final LicenseKeys keys;
  private final LicenseRepository licenses;

  public DeviceBinding(Postgres pg, MasterKey masterKey) {
    this.keys = new LicenseKeys(masterKey);
    this.licenses = new LicenseRepository(pg);
  }

  @Override
  public Future<Void> check(UUID appId, UUID userId, UUID deviceId, String key) {
    if (key == null || key.isBlank()) {
      return Future.failedFuture(ApiException.invalid("key", "is required with device_id (the device's license key)"));
    }
    return licenses.byKeyAndDevice(appId, keys.hash(appId, key), deviceId).compose(found -> {
      if (found == null) {
        return Future.failedFuture(KeyAuth.invalidLicense());
      }
      License license = found.license();
      if (license.userId() != null && !license.userId().equals(userId)) {
        return Future.failedFuture(new ApiException(ErrorCode.FORBIDDEN, "key: this license belongs to another user"));
      }
      ApiException refusal = license.refusal();
      if (refusal != null) {
        return Future.failedFuture(refusal);
      }
      return found.deviceLive()
          ? Future.succeededFuture()
          : Future.failedFuture(new ApiException(ErrorCode.INVALID_LICENSE,
              "device_id: not an active device of this license"));
    });
  }
}
