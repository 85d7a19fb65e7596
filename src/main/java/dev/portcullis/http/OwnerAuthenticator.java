package dev.portcullis.http;

import io.vertx.core.Future;
import java.util.UUID;

/**
 * Decides whether a bearer token is an owner's (console) access token: succeeds with the owner's id, or
 * fails with the error to answer. Implemented by the owner package, wired in boot.
 */
@FunctionalInterface
public interface OwnerAuthenticator {

  /** {@code callerIp}: the address that presented the token (a token naming a made-up key counts against it). */
  Future<UUID> ownerOf(String accessToken, String requestId, String callerIp);
}
