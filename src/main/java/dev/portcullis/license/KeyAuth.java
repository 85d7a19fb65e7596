package dev.portcullis.license;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.http.AccessLog;
import dev.portcullis.http.ClientAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.SourceNetwork;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.Requests;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Authenticates a device call by its license key ({@code app_id} + {@code key}). A client backend may add
 * {@code app_secret} (checked by {@link ClientAuth#whenPresented()} before this runs); only then does a
 * {@code client_ip} in the body count, otherwise the limits count the connection's own address.
 *
 * <p>Every call costs the same whatever is wrong with it: the per-IP and per-key counters, one HMAC of the
 * presented key (malformed or not), one look-up of the app through the cache and one indexed look-up of the
 * hash. An unknown app, an unknown key and a key of another app all end in the same {@code 401
 * invalid_license}, only after all of that.
 */
final class KeyAuth {

  /** Looked up in place of a malformed app id: no app has the nil UUID. */
  private static final UUID NO_APP = new UUID(0, 0);

  /** An authenticated device call: the app, the license with the device its fingerprint names, and who called. */
  record Caller(App app, License license, Device device, String clientIp, VerifyCache.Entry kept) {

    /** The encoded verify answer: made once per kept answer, or each time when nothing is kept. */
    Buffer verifyAnswer(Supplier<JsonObject> build) {
      return kept == null ? build.get().toBuffer() : kept.answer(build);
    }
  }

  private final AppDirectory apps;
  private final LicenseKeys keys;
  private final LicenseRepository licenses;
  private final CallLimits limits;
  private final LicenseMetrics metrics;
  private final VerifyCache verifyCache = new VerifyCache();

  /** What the look-up found, and the cache entry it is kept in (null when it cannot be kept). */
  private record Found(LicenseRepository.Keyed keyed, VerifyCache.Entry kept) {
  }

  KeyAuth(AppDirectory apps, LicenseKeys keys, LicenseRepository licenses, CallLimits limits, LicenseMetrics metrics) {
    this.apps = apps;
    this.keys = keys;
    this.licenses = licenses;
    this.limits = limits;
    this.metrics = metrics;
  }

  /** For the calls that change a device: the license and device as Postgres holds them now. */
  Future<Caller> authenticate(RoutingContext ctx, String fingerprint) {
    return authenticate(ctx, fingerprint, false);
  }

  /** For {@code verify}: the answer may come from {@link VerifyCache}, under this call's license generation. */
  Future<Caller> authenticateForVerify(RoutingContext ctx, String fingerprint) {
    return authenticate(ctx, fingerprint, true);
  }

  private Future<Caller> authenticate(RoutingContext ctx, String fingerprint, boolean cached) {
    JsonObject body = JsonBody.of(ctx);
    UUID backend = ClientAuth.appId(ctx);
    String claimedApp = Fields.requiredString(body, "app_id");
    String key = Fields.requiredString(body, "key");
    // Checked whoever calls, as every field is; counted only for an authenticated backend (a device could claim any).
    String reported = Fields.clientIp(body);
    String clientIp = backend != null && reported != null ? reported : Requests.callerIp(ctx);
    UUID parsed = AppDirectory.parseUuid(claimedApp);
    // A malformed app id, or one other than the authenticated backend's, finds nothing after the same work.
    UUID appId = parsed == null || backend != null && !backend.equals(parsed) ? NO_APP : parsed;
    byte[] keyHash = keys.hash(appId, key);
    // The address a backend reports is counted for its app only: one app must not use up another's, nor a
    // device's own; an IPv6 address counts by its /64, as every per-network limit does.
    String network = SourceNetwork.limitKey(clientIp);
    String site = SourceNetwork.site(clientIp);
    String forApp = backend != null && reported != null ? backend + "|" : "";
    return limits.count(forApp + network, site == null ? null : forApp + site, keyHash, appId)
        .onFailure(limited -> metrics.refused("rate_limited"))
        .compose(counted -> {
          Future<Optional<App>> app = apps.find(appId);
          VerifyCache.Entry hit = cached ? verifyCache.get(appId, keyHash, fingerprint, counted.generation()) : null;
          Future<Found> found = hit != null ? Future.succeededFuture(new Found(hit.keyed(), hit))
              : licenses.byKey(appId, keyHash, fingerprint).map(keyed -> keyed == null ? null
                  : new Found(keyed, verifyCache.put(appId, keyHash, fingerprint, counted.generation(), keyed)));
          return Future.all(app, found).compose(both -> {
            App known = app.result().filter(candidate -> !candidate.isConsole()).orElse(null);
            if (known == null || found.result() == null) {
              metrics.refused("invalid_license");
              return Future.failedFuture(invalidLicense());
            }
            LicenseRepository.Keyed keyed = found.result().keyed();
            AccessLog.app(ctx, known.id());
            return Future.succeededFuture(new Caller(known, keyed.license(), keyed.device(), clientIp,
                cached ? found.result().kept() : null));
          });
        });
  }

  static ApiException invalidLicense() {
    return new ApiException(ErrorCode.INVALID_LICENSE, "key: no such license key for this app_id");
  }
}
