package dev.portcullis.license;

import dev.portcullis.app.App;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.OncePerWindow;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import dev.portcullis.security.SecurityEvents;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The device calls ({@code /licenses/activate}, {@code verify}, {@code heartbeat}, {@code deactivate},
 * {@code checkout}), authenticated by the license key ({@link KeyAuth}). Activation takes a seat through
 * {@link Seats}; deactivation frees it and revokes the sessions bound to the device at once.
 */
public final class DeviceApi {

  private static final int FINGERPRINT_MAX = 255;
  private static final int NAME_MAX = 255;
  private static final int PLATFORM_MAX = 64;
  /** A licence's refusals for one reason are reported (webhook, audit row) at most once in this window. */
  static final long REFUSAL_REPORT_MS = 60_000;

  private final SecurityEvents security;
  private final KeyAuth auth;
  private final Seats seats;
  private final LicenseRepository licenses;
  private final Certificates certificates;
  private final LicenseChanges changes;
  private final AuditLog audit;
  private final LicenseMetrics metrics;
  private final LicenseGenerations generations;
  private final OncePerWindow refusalReports;

  DeviceApi(SecurityEvents security, KeyAuth auth, Seats seats, LicenseRepository licenses, Certificates certificates,
            LicenseChanges changes, AuditLog audit, LicenseMetrics metrics, LicenseGenerations generations,
            OncePerWindow refusalReports) {
    this.security = security;
    this.auth = auth;
    this.seats = seats;
    this.licenses = licenses;
    this.certificates = certificates;
    this.changes = changes;
    this.audit = audit;
    this.metrics = metrics;
    this.generations = generations;
    this.refusalReports = refusalReports;
  }

  public void activate(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    // Shown to the owner in the device list, like the device's name: checked where a device is made. The other
    // calls only look a device up, so one activated before this rule keeps its heartbeats and its way out (h35).
    String fingerprint = DisplayText.require("fingerprint", fingerprint(body, true));
    String name = bounded(body, "name", NAME_MAX);
    String platform = bounded(body, "platform", PLATFORM_MAX);
    auth.authenticate(ctx, fingerprint)
        .compose(caller -> {
          LicenseChanges.Change change = change(ctx, caller);
          // A repeat activation takes no seat, but hands out a new certificate: recorded as a checkout's is.
          return refuseUnlessActive(caller.license())
              .compose(active -> seats.activate(caller.license().id(), caller.app().id(), fingerprint, name, platform,
                  change.events(activation -> List.of(event(ctx, caller, activation.created()
                      ? LicenseEvents.DEVICE_ACTIVATED : LicenseEvents.CERTIFICATE_ISSUED)
                      .with("device_id", activation.device().id().toString())))))
              .compose(activation -> activation.refusal() != null
                  ? refused(ctx, caller, activation)
                  : activated(ctx, caller, change, activation, fingerprint));
        })
        .onFailure(ctx::fail);
  }

  public void verify(RoutingContext ctx) {
    String fingerprint = fingerprint(JsonBody.of(ctx), false);
    auth.authenticateForVerify(ctx, fingerprint)
        .onSuccess(caller -> Responses.ok(ctx, caller.verifyAnswer(() -> verifyAnswer(caller, fingerprint))))
        .onFailure(ctx::fail);
  }

  private static JsonObject verifyAnswer(KeyAuth.Caller caller, String fingerprint) {
    License license = caller.license();
    Device device = caller.device();
    String code = license.verifyCode();
    if (code.equals("VALID") && fingerprint != null) {
      code = device == null ? "DEVICE_NOT_ACTIVATED" : device.heartbeatDead() ? "HEARTBEAT_DEAD" : code;
    }
    return new JsonObject()
        .put("valid", code.equals("VALID"))
        .put("code", code)
        .put("license", license.toJson())
        .put("device", device == null ? null : device.toJson(license.heartbeatInterval()));
  }

  public void heartbeat(RoutingContext ctx) {
    String fingerprint = fingerprint(JsonBody.of(ctx), true);
    auth.authenticate(ctx, fingerprint)
        .compose(caller -> refuseUnlessActive(caller.license())
            .compose(active -> liveDevice(caller))
            .compose(device -> licenses.heartbeat(device.id()))
            .compose(at -> at == null ? Future.failedFuture(notActivated()) : Future.succeededFuture(at))
            .compose(at -> caller.device().heartbeatDead()
                ? generations.bump(caller.app().id()).map(at) : Future.succeededFuture(at))
            .map(at -> {
              metrics.heartbeat();
              Integer interval = caller.license().heartbeatInterval();
              return new JsonObject().put("next_heartbeat_before",
                  interval == null ? null : App.rfc3339(at.plusSeconds(interval)));
            }))
        .onSuccess(answer -> Responses.ok(ctx, answer))
        .onFailure(ctx::fail);
  }

  public void deactivate(RoutingContext ctx) {
    String fingerprint = fingerprint(JsonBody.of(ctx), true);
    auth.authenticate(ctx, fingerprint)
        .compose(caller -> {
          LicenseChanges.Change change = change(ctx, caller);
          return liveDevice(caller)
              .compose(device -> licenses.deactivate(caller.app().id(), device.id(), "deactivated",
                  (conn, deactivated) -> change.endSessions(conn, List.of(deactivated),
                      LicenseEvents.REASON_DEVICE_DEACTIVATED, event(ctx, caller, LicenseEvents.DEVICE_DEACTIVATED)
                          .with("device_id", deactivated.toString())
                          .with("reason", "deactivated"))))
              .compose(done -> done ? change.committed() : Future.failedFuture(notActivated()));
        })
        .onSuccess(done -> Responses.ok(ctx, new JsonObject().put("deactivated", true)))
        .onFailure(ctx::fail);
  }

  public void checkout(RoutingContext ctx) {
    String fingerprint = fingerprint(JsonBody.of(ctx), true);
    auth.authenticate(ctx, fingerprint)
        .compose(caller -> refuseUnlessActive(caller.license())
            .compose(active -> liveDevice(caller))
            // A checkout is the device online: it counts as its heartbeat (and revives a device that had missed
            // one, as a heartbeat does), so verify never calls HEARTBEAT_DEAD a device holding a fresh certificate.
            // The heartbeat comes first: a device deactivated since it was looked up gets no certificate.
            .compose(device -> heartbeat(caller, device)
                .compose(beat -> certificates.issue(caller.app(), caller.license(), device.id(), fingerprint))
                .compose(certificate -> audit.record(event(ctx, caller, LicenseEvents.CERTIFICATE_ISSUED)
                        .with("device_id", device.id().toString()))
                    .map(recorded -> certificate))))
        .onSuccess(certificate -> Responses.ok(ctx, new JsonObject().put("certificate", certificate)))
        .onFailure(ctx::fail);
  }

  private Future<Void> heartbeat(KeyAuth.Caller caller, Device device) {
    return licenses.heartbeat(device.id()).compose(at -> {
      if (at == null) {
        return Future.failedFuture(notActivated());
      }
      return device.heartbeatDead() ? generations.bump(caller.app().id()) : Future.succeededFuture();
    });
  }

  private Future<Void> activated(RoutingContext ctx, KeyAuth.Caller caller, LicenseChanges.Change change,
                                 Seats.Activation activation, String fingerprint) {
    Device device = activation.device();
    License license = activation.license();
    // Like a checkout a repeat activation counts as a heartbeat, so a device it revives is live again for every
    // process's cached verify.
    Future<Void> recorded = activation.created() || activation.revived()
        ? change.committed() : change.recorded(null);
    return recorded
        .compose(stored -> certificates.issue(caller.app(), license, device.id(), fingerprint))
        .map(certificate -> {
          metrics.activated(activation.created());
          Responses.json(ctx, activation.created() ? 201 : 200, new JsonObject()
              .put("device_id", device.id().toString())
              .put("license", license.toJson())
              .put("device", device.toJson(license.heartbeatInterval()))
              .put("certificate", certificate));
          return null;
        });
  }

  /**
   * A seat limit refused the device: counted, and answered. The first refusal of a minute per licence and reason is
   * also audited and reported to the security webhook; the rest, which any holder of the key can repeat, are only
   * counted ({@code portcullis_license_refusals_total}).
   */
  private Future<Void> refused(RoutingContext ctx, KeyAuth.Caller caller, Seats.Activation activation) {
    License license = activation.license();
    metrics.refused(activation.refusedFor());
    String reportKey = refusalReports.key("license-refused", "{" + license.id() + "}", activation.refusedFor());
    return refusalReports.firstOrUnknown(reportKey)
        .compose(report -> report ? report(ctx, caller, activation, reportKey) : Future.succeededFuture())
        .transform(reported -> Future.failedFuture(activation.refusal()));
  }

  private Future<Void> report(RoutingContext ctx, KeyAuth.Caller caller, Seats.Activation activation,
                              String reportKey) {
    License license = activation.license();
    if (activation.refusal().code() == ErrorCode.DEVICE_LIMIT_REACHED) {
      security.publish(SecurityEvents.LICENSE_DEVICE_LIMIT_REACHED, caller.app().id(), license.userId(), null,
          new JsonObject()
              .put("license_id", license.id().toString())
              .put("reason", activation.refusedFor())
              .put("max_devices", license.maxDevices())
              .put("max_activations_per_day", license.maxActivationsPerDay()));
    }
    AuditEvent event = event(ctx, caller, LicenseEvents.ACTIVATION_REFUSED).with("reason", activation.refusedFor());
    return audit.record(event).recover(failed -> refusalReports.forget(reportKey, failed));
  }

  private Future<Void> refuseUnlessActive(License license) {
    ApiException refusal = license.refusal();
    if (refusal != null) {
      metrics.refused(refusal.code().code());
      return Future.failedFuture(refusal);
    }
    return Future.succeededFuture();
  }

  private static Future<Device> liveDevice(KeyAuth.Caller caller) {
    return caller.device() == null ? Future.failedFuture(notActivated()) : Future.succeededFuture(caller.device());
  }

  /** A change the device makes: its session revocations and events name no actor, the license is the caller. */
  private LicenseChanges.Change change(RoutingContext ctx, KeyAuth.Caller caller) {
    return changes.begin(caller.app().id(), RequestIds.of(ctx), caller.clientIp(), null);
  }

  private static AuditEvent event(RoutingContext ctx, KeyAuth.Caller caller, String type) {
    return AuditEvent.of(type, caller.app().id(), RequestIds.of(ctx), caller.clientIp())
        .withUser(caller.license().userId())
        .with("license_id", caller.license().id().toString());
  }

  static ApiException notActivated() {
    return new ApiException(ErrorCode.NOT_FOUND, "fingerprint: no active device of this license has this fingerprint");
  }

  private static String fingerprint(JsonObject body, boolean required) {
    String fingerprint = required ? Fields.requiredString(body, "fingerprint") : Fields.optionalString(body, "fingerprint");
    if (fingerprint != null && (fingerprint.isBlank() || DisplayText.characters(fingerprint) > FINGERPRINT_MAX)) {
      throw ApiException.invalid("fingerprint", "must be 1 to " + FINGERPRINT_MAX + " characters");
    }
    return fingerprint;
  }

  /** A device's own description of itself (name, platform), shown to the owner as the device sent it. */
  private static String bounded(JsonObject body, String field, int max) {
    String value = Fields.optionalString(body, field);
    if (value != null && DisplayText.characters(value) > max) {
      throw ApiException.invalid(field, "must be at most " + max + " characters");
    }
    return DisplayText.require(field, value);
  }
}
