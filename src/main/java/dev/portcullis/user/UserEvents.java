package dev.portcullis.user;

import dev.portcullis.audit.AuditStaging;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.http.AdminAuth;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * The audit events of the users, roles and tenants admin API, each with who did it (the operator or an owner).
 * Data holds ids, role names and field names: never an email, a phone, a profile value or a secret.
 */
public final class UserEvents {

  public static final String USER_CREATED = AuditEvent.USER_CREATED;
  public static final String USER_CHANGED = "user.changed";
  public static final String USER_DISABLED = "user.disabled";
  public static final String USER_ENABLED = "user.enabled";
  public static final String USER_DELETED = "user.deleted";
  /** A licence of a deleted user, issued to no user from then on: it binds sessions of any user who shows its key. */
  public static final String LICENSE_DETACHED = "license.detached";
  public static final String ROLE_CREATED = "role.created";
  public static final String ROLE_DELETED = "role.deleted";
  public static final String ROLE_GRANTED = "role.granted";
  public static final String ROLE_REVOKED = "role.revoked";
  public static final String TENANT_CREATED = "tenant.created";
  public static final String TENANT_CHANGED = "tenant.changed";
  public static final String TENANT_DELETED = "tenant.deleted";
  public static final String MEMBER_ADDED = "member.added";
  public static final String MEMBER_CHANGED = "member.changed";
  public static final String MEMBER_REMOVED = "member.removed";

  private final AuditStaging staging;

  public UserEvents(AuditStaging staging) {
    this.staging = staging;
  }

  /** The events of one change, staged in its transaction and recorded after it (audit before acknowledgement). */
  public AuditStaging.Batch batch() {
    return staging.batch();
  }

  /** An event of this admin request about the app (and a user, when userId is not null), with its actor. */
  public static AuditEvent event(RoutingContext ctx, String type, UUID appId, UUID userId) {
    AuditEvent event = AuditEvent.of(type, appId, RequestIds.of(ctx), Requests.callerIp(ctx)).withUser(userId);
    JsonObject actor = AdminAuth.principal(ctx).toAudit();
    for (String key : actor.fieldNames()) {
      event = event.with(key, actor.getValue(key));
    }
    return event;
  }
}
