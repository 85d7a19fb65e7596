package dev.portcullis.license;

import dev.portcullis.app.AppAccess;
import dev.portcullis.app.AppCursor;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Postgres;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.Fields;
import dev.portcullis.http.JsonBody;
import dev.portcullis.http.QueryParams;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.http.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The owner's side of licenses ({@code /v1/apps/:app_id/license-policies} and {@code .../licenses}), behind the
 * same guards as the other app routes: an owner sees only its own apps' policies and licenses. Suspending and
 * revoking a license revoke the sessions bound to its devices at once.
 */
public final class AdminApi {

  private static final int DEFAULT_PAGE = 100;
  private static final int MAX_PAGE = 500;
  private static final int NAME_MAX = 200;
  private static final Set<String> LICENSE_FIELDS = Set.of("policy_id", "user_id", "name", "metadata");
  private static final int METADATA_MAX_BYTES = 4096;
  private static final Set<String> STATUSES = Set.of(License.ACTIVE, License.SUSPENDED, License.REVOKED, License.EXPIRED);

  private final PolicyRepository policies;
  private final LicenseRepository licenses;
  private final LicenseKeys keys;
  private final LicenseChanges changes;

  AdminApi(PolicyRepository policies, LicenseRepository licenses, LicenseKeys keys, LicenseChanges changes) {
    this.policies = policies;
    this.licenses = licenses;
    this.keys = keys;
    this.changes = changes;
  }

  public void createPolicy(RoutingContext ctx) {
    Policy policy = PolicyRules.create(UUID.randomUUID(), appId(ctx), JsonBody.of(ctx));
    LicenseChanges.Change change = change(ctx);
    policies.create(policy, change.events(created -> List.of(event(ctx, LicenseEvents.POLICY_CREATED, null,
            policyData(created)))))
        .compose(change::recorded)
        .onSuccess(created -> Responses.json(ctx, 201, created.toJson()))
        .onFailure(ctx::fail);
  }

  public void listPolicies(RoutingContext ctx) {
    AppCursor cursor = AppCursor.parse(QueryParams.of(ctx).get("cursor"));
    policies.list(appId(ctx), cursor, limit(ctx))
        .onSuccess(page -> Responses.ok(ctx, page.toJson("policies", Policy::toJson)))
        .onFailure(ctx::fail);
  }

  public void getPolicy(RoutingContext ctx) {
    policy(ctx).onSuccess(policy -> Responses.ok(ctx, policy.toJson())).onFailure(ctx::fail);
  }

  public void updatePolicy(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    LicenseChanges.Change change = change(ctx);
    policy(ctx)
        .compose(current -> policies.update(PolicyRules.patch(current, body), change.events(updated -> {
          // What changed, from what to what (h77: the fields given, changed or not, and no values).
          JsonObject changes = updated.changesFrom(current);
          return changes.isEmpty() ? List.of() : List.of(event(ctx, LicenseEvents.POLICY_CHANGED, null,
              policyData(updated).put("fields", new JsonArray(List.copyOf(changes.fieldNames())))
                  .put("changes", changes)));
        })))
        .compose(updated -> updated == null ? Future.failedFuture(policyNotFound())
            : change.committed().map(updated))
        .onSuccess(updated -> Responses.ok(ctx, updated.toJson()))
        .onFailure(ctx::fail);
  }

  public void deletePolicy(RoutingContext ctx) {
    UUID policyId = pathId(ctx, "policy_id");
    LicenseChanges.Change change = change(ctx);
    (policyId == null ? Future.<Boolean>succeededFuture(false) : policies.delete(appId(ctx), policyId,
            change.events(deleted -> List.of(event(ctx, LicenseEvents.POLICY_DELETED, null,
                new JsonObject().put("policy_id", deleted.toString()))))))
        .recover(failure -> PolicyRepository.isInUse(failure)
            ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "policy_id: licenses still use this policy"))
            : Future.failedFuture(failure))
        .compose(deleted -> deleted ? change.committed() : Future.failedFuture(policyNotFound()))
        .onSuccess(done -> Responses.ok(ctx, new JsonObject().put("policy_id", policyId.toString()).put("deleted", true)))
        .onFailure(ctx::fail);
  }

  public void createLicense(RoutingContext ctx) {
    JsonObject body = JsonBody.of(ctx);
    Fields.onlyFields(body, LICENSE_FIELDS);
    UUID appId = appId(ctx);
    UUID policyId = requiredUuid(body, "policy_id");
    UUID userId = Fields.optionalUuid(body, "user_id");
    String name = Fields.optionalString(body, "name");
    if (name != null && DisplayText.characters(name) > NAME_MAX) {
      throw ApiException.invalid("name", "must be at most " + NAME_MAX + " characters");
    }
    DisplayText.require("name", name);
    JsonObject metadata = Fields.optionalObject(body, "metadata");
    if (metadata != null && metadata.toBuffer().length() > METADATA_MAX_BYTES) {
      throw ApiException.invalid("metadata", "must be at most " + METADATA_MAX_BYTES + " bytes of JSON");
    }
    String key = LicenseKeys.generate();
    UUID id = UUID.randomUUID();
    Future<Boolean> userKnown = userId == null ? Future.succeededFuture(true) : licenses.isUserOf(appId, userId);
    LicenseChanges.Change change = change(ctx);
    userKnown
        .compose(known -> known ? Future.succeededFuture()
            : Future.failedFuture(ApiException.invalid("user_id", "no such user in this app")))
        .compose(ok -> licenses.create(id, appId, policyId, userId, keys.hash(appId, key), LicenseKeys.hint(key), name,
            metadata == null ? new JsonObject() : metadata, change.events(created -> List.of(
                event(ctx, LicenseEvents.CREATED, created.userId(), new JsonObject()
                    .put("license_id", created.id().toString())
                    .put("policy_id", created.policyId().toString())
                    .put("key_hint", created.keyHint()))))))
        .recover(failure -> Postgres.isUniqueViolation(failure)
            ? Future.failedFuture(new ApiException(ErrorCode.CONFLICT, "key: collision, retry"))
            : Future.failedFuture(failure))
        .compose(created -> created == null
            ? Future.failedFuture(ApiException.invalid("policy_id", "no such policy in this app"))
            : Future.succeededFuture(created))
        .compose(change::recorded)
        .onSuccess(created -> Responses.json(ctx, 201, created.toJson().put("key", key)))
        .onFailure(ctx::fail);
  }

  public void listLicenses(RoutingContext ctx) {
    String userParam = QueryParams.of(ctx).get("user_id");
    UUID userId = userParam == null ? null : AppDirectory.parseUuid(userParam);
    if (userParam != null && userId == null) {
      throw ApiException.invalid("user_id", "must be a UUID");
    }
    String status = QueryParams.of(ctx).get("status");
    if (status != null && !STATUSES.contains(status)) {
      throw ApiException.invalid("status", "must be one of active, suspended, revoked, expired");
    }
    AppCursor cursor = AppCursor.parse(QueryParams.of(ctx).get("cursor"));
    licenses.list(appId(ctx), userId, status, cursor, limit(ctx))
        .onSuccess(page -> Responses.ok(ctx, new JsonObject()
            .put("licenses", new JsonArray(page.licenses().stream().map(License::toJson).toList()))
            .put("next_cursor", page.nextCursor())))
        .onFailure(ctx::fail);
  }

  public void getLicense(RoutingContext ctx) {
    license(ctx)
        .compose(license -> licenses.devices(license.id()).map(devices -> license.toJson()
            .put("devices", new JsonArray(devices.listed().stream()
                .map(device -> device.toJson(license.heartbeatInterval())).toList()))
            .put("device_count", devices.total())))
        .onSuccess(answer -> Responses.ok(ctx, answer))
        .onFailure(ctx::fail);
  }

  public void suspend(RoutingContext ctx) {
    transition(ctx, List.of(License.ACTIVE), License.SUSPENDED, LicenseEvents.SUSPENDED,
        LicenseEvents.REASON_LICENSE_SUSPENDED);
  }

  public void reinstate(RoutingContext ctx) {
    transition(ctx, List.of(License.SUSPENDED), License.ACTIVE, LicenseEvents.REINSTATED, null);
  }

  public void revoke(RoutingContext ctx) {
    transition(ctx, List.of(License.ACTIVE, License.SUSPENDED), License.REVOKED, LicenseEvents.REVOKED,
        LicenseEvents.REASON_LICENSE_REVOKED);
  }

  public void deleteDevice(RoutingContext ctx) {
    UUID appId = appId(ctx);
    UUID deviceId = pathId(ctx, "device_id");
    LicenseChanges.Change change = change(ctx);
    license(ctx)
        .compose(license -> (deviceId == null ? Future.<Boolean>succeededFuture(null)
                : licenses.deviceLive(appId, license.id(), deviceId))
            .compose(live -> live == null
                ? Future.failedFuture(new ApiException(ErrorCode.NOT_FOUND, "device_id: no such device of this license"))
                : live ? licenses.deactivate(appId, deviceId, "removed", (conn, device) -> change.endSessions(conn,
                    List.of(device), LicenseEvents.REASON_DEVICE_DEACTIVATED, event(ctx, LicenseEvents.DEVICE_DEACTIVATED,
                        license.userId(), new JsonObject()
                            .put("license_id", license.id().toString())
                            .put("device_id", device.toString())
                            .put("reason", "removed"))))
                : Future.succeededFuture(false))
            .compose(changed -> changed ? change.committed() : Future.succeededFuture()))
        .onSuccess(done -> Responses.ok(ctx, new JsonObject().put("device_id", deviceId.toString())
            .put("deactivated", true)))
        .onFailure(ctx::fail);
  }

  /**
   * Moves the license to {@code to} when it is in one of {@code from}; already there is a no-op answered 200;
   * any other state (a revoked license is final) is {@code 409 conflict}. Leaving active revokes the sessions
   * bound to the license's devices.
   */
  private void transition(RoutingContext ctx, List<String> from, String to, String eventType, String sessionReason) {
    UUID appId = appId(ctx);
    UUID licenseId = pathId(ctx, "license_id");
    LicenseChanges.Change change = change(ctx);
    (licenseId == null ? Future.<License>succeededFuture(null) : licenses.transition(appId, licenseId, from, to,
        (conn, before) -> LicenseRepository.deviceIds(conn, licenseId).compose(devices -> change.endSessions(conn,
            devices, sessionReason, event(ctx, eventType, before.userId(), new JsonObject()
                .put("license_id", licenseId.toString())
                .put("from", before.status()))))))
        .compose(before -> {
          if (before == null) {
            return Future.failedFuture(licenseNotFound());
          }
          String was = LicenseRepository.storedStatus(before);
          if (was.equals(to)) {
            return Future.succeededFuture();
          }
          if (!from.contains(was)) {
            return Future.failedFuture(new ApiException(ErrorCode.CONFLICT,
                "license_id: a " + before.status() + " license cannot be made " + to));
          }
          return change.committed();
        })
        .compose(done -> licenses.find(appId, licenseId))
        .onSuccess(license -> Responses.ok(ctx, license.toJson()))
        .onFailure(ctx::fail);
  }

  private Future<Policy> policy(RoutingContext ctx) {
    UUID policyId = pathId(ctx, "policy_id");
    return (policyId == null ? Future.<Policy>succeededFuture(null) : policies.find(appId(ctx), policyId))
        .compose(policy -> policy == null ? Future.failedFuture(policyNotFound()) : Future.succeededFuture(policy));
  }

  private Future<License> license(RoutingContext ctx) {
    UUID licenseId = pathId(ctx, "license_id");
    return (licenseId == null ? Future.<License>succeededFuture(null) : licenses.find(appId(ctx), licenseId))
        .compose(license -> license == null ? Future.failedFuture(licenseNotFound()) : Future.succeededFuture(license));
  }

  /** A change of this request, its sessions' revocations and events naming the owner or operator who made it. */
  private LicenseChanges.Change change(RoutingContext ctx) {
    return changes.begin(appId(ctx), RequestIds.of(ctx), Requests.callerIp(ctx), AdminAuth.principal(ctx).toAudit());
  }

  private static AuditEvent event(RoutingContext ctx, String type, UUID userId, JsonObject data) {
    JsonObject all = AdminAuth.principal(ctx).toAudit().mergeIn(data);
    return new AuditEvent(type, appId(ctx), userId, RequestIds.of(ctx), Requests.callerIp(ctx), all);
  }

  private static JsonObject policyData(Policy policy) {
    return new JsonObject().put("policy_id", policy.id().toString()).put("max_devices", policy.maxDevices());
  }

  private static UUID appId(RoutingContext ctx) {
    return AppAccess.app(ctx).app().id();
  }

  private static UUID pathId(RoutingContext ctx, String name) {
    return AppDirectory.parseUuid(ctx.pathParam(name));
  }

  private static UUID requiredUuid(JsonObject body, String field) {
    UUID id = Fields.optionalUuid(body, field);
    if (id == null) {
      throw ApiException.invalid(field, "is required");
    }
    return id;
  }

  private static int limit(RoutingContext ctx) {
    return Fields.pageLimit(QueryParams.of(ctx).get("limit"), DEFAULT_PAGE, MAX_PAGE);
  }

  private static ApiException policyNotFound() {
    return new ApiException(ErrorCode.NOT_FOUND, "policy_id: no such policy");
  }

  private static ApiException licenseNotFound() {
    return new ApiException(ErrorCode.NOT_FOUND, "license_id: no such license");
  }
}
