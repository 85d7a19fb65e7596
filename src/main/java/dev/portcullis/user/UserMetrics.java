package dev.portcullis.user;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** What ops watch of the users admin API: users made, disabled and deleted, role and membership changes. */
public final class UserMetrics {

  private final MeterRegistry registry;
  private final Counter created;
  private final Counter disabled;
  private final Counter deleted;
  private final Counter roleChanges;

  public UserMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.created = Counter.builder("portcullis.users.added").description("Users created through the admin API")
        .register(registry);
    this.disabled = Counter.builder("portcullis.users.disabled").description("Users disabled").register(registry);
    this.deleted = Counter.builder("portcullis.users.deleted").description("Users deleted (personal data erased)")
        .register(registry);
    this.roleChanges = Counter.builder("portcullis.role.changes")
        .description("Changes of a user's app-wide or tenant roles").register(registry);
    // At 0 from the start: rate() and increase() need a sample before the first event, otherwise lost to them.
    java.util.List.of("created", "deleted", "member_added", "member_changed", "member_removed")
        .forEach(this::tenantChanges);
  }

  public void created() {
    created.increment();
  }

  public void disabled() {
    disabled.increment();
  }

  public void deleted() {
    deleted.increment();
  }

  public void roleChanged() {
    roleChanges.increment();
  }

  /** Tenants and memberships: {@code portcullis_tenant_changes_total{change}} (created, deleted, member_added, ...). */
  public void tenantChange(String change) {
    tenantChanges(change).increment();
  }

  private Counter tenantChanges(String change) {
    return Counter.builder("portcullis.tenant.changes").description("Tenant and membership changes")
        .tag("change", change).register(registry);
  }
}
