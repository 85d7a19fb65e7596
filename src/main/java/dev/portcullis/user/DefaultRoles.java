package dev.portcullis.user;

import dev.portcullis.app.AppSettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The {@code default_roles} app setting against the app's catalogue: every role must exist (a new app knows
 * only the built-ins), and custom roles given by id are stored by name, so the setting reads the same after
 * the catalogue changes.
 */
public final class DefaultRoles {

  private final RoleRepository roles;

  public DefaultRoles(RoleRepository roles) {
    this.roles = roles;
  }

  /**
   * The settings changes with {@code default_roles} resolved to names; {@code 400} naming the setting when a
   * role does not exist. {@code appId} null: a new app, whose catalogue is the built-ins.
   */
  public Future<JsonObject> resolve(UUID appId, JsonObject settingsChanges) {
    if (settingsChanges == null || !settingsChanges.containsKey(AppSettings.DEFAULT_ROLES)) {
      return Future.succeededFuture(settingsChanges);
    }
    String field = "settings." + AppSettings.DEFAULT_ROLES;
    Roles.Refs refs = Roles.refs(field, settingsChanges.getValue(AppSettings.DEFAULT_ROLES));
    Future<List<String>> names = appId == null ? builtins(field, refs) : roles.resolve(field, appId, refs);
    return names.map(resolved -> settingsChanges.copy().put(AppSettings.DEFAULT_ROLES, new JsonArray(resolved)));
  }

  private static Future<List<String>> builtins(String field, Roles.Refs refs) {
    List<String> names = new ArrayList<>();
    for (String name : refs.names()) {
      if (!Roles.BUILTIN.containsValue(name)) {
        return Future.failedFuture(RoleRepository.unknownRole(field, refs, List.copyOf(Roles.BUILTIN.values())));
      }
      names.add(name);
    }
    for (Integer id : refs.ids()) {
      String name = Roles.BUILTIN.get(id);
      if (name == null) {
        return Future.failedFuture(RoleRepository.unknownRole(field, new Roles.Refs(List.of(), refs.ids()), List.of()));
      }
      if (!names.contains(name)) {
        names.add(name);
      }
    }
    return Future.succeededFuture(names);
  }
}
