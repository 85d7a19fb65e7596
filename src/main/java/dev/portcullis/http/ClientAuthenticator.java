package dev.portcullis.http;

import io.vertx.core.Future;
import java.util.UUID;

/**
 * Decides whether presented client credentials are an app's: succeeds with the app's id, or fails with the
 * error to answer (always {@code 401 invalid_client}, whatever was wrong). Implemented by the app package,
 * wired in boot, so the guard here knows nothing about apps.
 */
@FunctionalInterface
public interface ClientAuthenticator {

  /** What a client presented, and where from: the id and secret may be null (missing). */
  record Attempt(String appId, String secret, String requestId, String callerIp) {
  }

  Future<UUID> authenticate(Attempt attempt);
}
