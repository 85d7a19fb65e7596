package dev.portcullis.license;

/** The audit event types of licenses, and the reasons of the session revocations they cause. */
final class LicenseEvents {

  static final String POLICY_CREATED = "license.policy_created";
  static final String POLICY_CHANGED = "license.policy_changed";
  static final String POLICY_DELETED = "license.policy_deleted";
  static final String CREATED = "license.created";
  static final String SUSPENDED = "license.suspended";
  static final String REINSTATED = "license.reinstated";
  static final String REVOKED = "license.revoked";
  static final String EXPIRED = "license.expired";
  static final String DEVICE_ACTIVATED = "license.device_activated";
  static final String DEVICE_DEACTIVATED = "license.device_deactivated";
  static final String ACTIVATION_REFUSED = "license.activation_refused";
  static final String CERTIFICATE_ISSUED = "license.certificate_issued";

  /** Why sessions bound to a device were revoked (the reason of their session.revoked events). */
  static final String REASON_DEVICE_DEACTIVATED = "device_deactivated";
  static final String REASON_LICENSE_SUSPENDED = "license_suspended";
  static final String REASON_LICENSE_REVOKED = "license_revoked";
  static final String REASON_LICENSE_EXPIRED = "license_expired";

  private LicenseEvents() {
  }
}
