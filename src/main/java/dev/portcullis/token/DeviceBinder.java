package dev.portcullis.token;

import io.vertx.core.Future;
import java.util.UUID;

/**
 * Decides whether a login may bind its session to a licensed device (the license package implements it). A
 * device id alone proves nothing: the caller must also present that device's license key.
 */
public interface DeviceBinder {

  /**
   * Succeeds when {@code key} is the key of a license of the app that is active and belongs to this user or to
   * no user, and {@code deviceId} is one of its active devices. Fails with {@code invalid_license},
   * {@code forbidden}, {@code license_expired}, {@code license_suspended} or {@code license_revoked}.
   */
  Future<Void> check(UUID appId, UUID userId, UUID deviceId, String key);
}
