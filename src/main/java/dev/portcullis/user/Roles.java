package dev.portcullis.user;

import dev.portcullis.core.ApiException;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The role rules: the five built-ins with their fixed ids, the shape of a custom role's name, and how a role
 * given in a request (its name or its numeric id) is read. Answers always use names.
 */
public final class Roles {

  public static final Map<Integer, String> BUILTIN = Map.of(1, "USER", 2, "SELLER", 3, "BUYER", 4, "SEMIADMIN", 5, "ADMIN");
  public static final int FIRST_CUSTOM_ID = 100;
  public static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]{1,39}");
  /** Roles one grant (a user's app-wide roles, a membership) may hold. */
  public static final int MAX_PER_GRANT = 50;

  /** Roles as a request gave them: names and ids, each kept once, in the order given. */
  public record Refs(List<String> names, List<Integer> ids) {

    public boolean isEmpty() {
      return names.isEmpty() && ids.isEmpty();
    }

    public int size() {
      return names.size() + ids.size();
    }
  }

  private Roles() {
  }

  /** Reads {@code field} (an array of role names and ids); wrong shapes are {@code 400 invalid_request}. */
  public static Refs refs(String field, Object value) {
    if (!(value instanceof JsonArray array)) {
      throw ApiException.invalid(field, "must be an array of role names or ids");
    }
    if (array.size() > MAX_PER_GRANT) {
      throw ApiException.invalid(field, "must hold at most " + MAX_PER_GRANT + " roles");
    }
    Set<String> names = new LinkedHashSet<>();
    Set<Integer> ids = new LinkedHashSet<>();
    for (Object item : array) {
      if (item instanceof String name && NAME.matcher(name).matches()) {
        names.add(name);
      } else if (item instanceof String digits && digits.matches("[0-9]{1,9}") && Integer.parseInt(digits) >= 1) {
        ids.add(Integer.parseInt(digits)); // an id as a path gives it: no name starts with a digit
      } else if (item instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())
          && number.doubleValue() >= 1 && number.doubleValue() <= Integer.MAX_VALUE) {
        ids.add(number.intValue());
      } else {
        throw ApiException.invalid(field, "holds " + describe(item) + ", which is neither a role name nor a role id");
      }
    }
    return new Refs(List.copyOf(names), List.copyOf(ids));
  }

  /** A role given in a path: a name, or digits for an id. */
  public static Refs ref(String field, String text) {
    if (text != null && text.matches("[0-9]{1,9}")) {
      return new Refs(List.of(), List.of(Integer.parseInt(text)));
    }
    if (text == null || !NAME.matcher(text).matches()) {
      throw ApiException.invalid(field, "must be a role name or id");
    }
    return new Refs(List.of(text), List.of());
  }

  /** Built-in ids as names, other names and ids as given (as strings): how default_roles is stored. */
  public static List<String> canonical(Refs refs) {
    List<String> out = new ArrayList<>(refs.names());
    for (Integer id : refs.ids()) {
      String builtin = BUILTIN.get(id);
      String value = builtin != null ? builtin : Integer.toString(id);
      if (!out.contains(value)) {
        out.add(value);
      }
    }
    return out;
  }

  private static String describe(Object item) {
    if (item instanceof String text) {
      return "'" + (text.length() > 40 ? text.substring(0, 40) + "…" : text) + "'";
    }
    return String.valueOf(item);
  }
}
