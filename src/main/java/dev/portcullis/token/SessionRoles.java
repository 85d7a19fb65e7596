package dev.portcullis.token;

/** The roles a session's tokens carry, as SQL over a session {@code s}. */
final class SessionRoles {

  /**
   * The names of the user's app-wide roles and, when the session is bound to a tenant, of the user's roles in
   * that tenant, each once, in id order: two primary-key look-ups and the app's small role catalogue.
   */
  static final String EFFECTIVE = "ARRAY(SELECT r.name FROM roles r WHERE r.app_id = s.app_id AND "
      + "(r.id IN (SELECT ur.role_id FROM user_roles ur WHERE ur.user_id = s.user_id) "
      + "OR r.id = ANY(coalesce((SELECT m.roles FROM tenant_members m WHERE m.tenant_id = s.tenant_id "
      + "AND m.user_id = s.user_id), '{}'::int[]))) ORDER BY r.id)";

  private SessionRoles() {
  }
}
