package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Set;

/**
 * The hosted sign-in page's app settings: {@code profile_fields} (default {@code []}), {@code hosted_password}
 * (true), {@code hosted_sms} (false), {@code hosted_title} and {@code hosted_logo_url} (null).
 */
public final class HostedSettings {

  public static final String PROFILE_FIELDS = "profile_fields";
  public static final String HOSTED_PASSWORD = "hosted_password";
  public static final String HOSTED_SMS = "hosted_sms";
  public static final String HOSTED_TITLE = "hosted_title";
  public static final String HOSTED_LOGO_URL = "hosted_logo_url";

  /** The profile fields a page may ask for, in the order it asks. */
  public static final List<String> PROFILE = List.of("name", "address", "gender", "dob");

  private static final Set<String> KEYS = Set.of(PROFILE_FIELDS, HOSTED_PASSWORD, HOSTED_SMS, HOSTED_TITLE,
      HOSTED_LOGO_URL);
  private static final int MAX_TITLE = 80;
  private static final int MAX_LOGO_URL = 2048;

  private final JsonObject values;

  HostedSettings(JsonObject values) {
    this.values = values;
  }

  public List<String> profileFields() {
    return values.getJsonArray(PROFILE_FIELDS).stream().map(String::valueOf).toList();
  }

  public boolean password() {
    return values.getBoolean(HOSTED_PASSWORD);
  }

  public boolean sms() {
    return values.getBoolean(HOSTED_SMS);
  }

  /** The page title, or null for the app's name. */
  public String title() {
    return values.getString(HOSTED_TITLE);
  }

  public String logoUrl() {
    return values.getString(HOSTED_LOGO_URL);
  }

  static boolean owns(String field) {
    return KEYS.contains(field);
  }

  static void addDefaults(JsonObject values) {
    if (!values.containsKey(PROFILE_FIELDS)) {
      values.put(PROFILE_FIELDS, new JsonArray());
    }
    if (!values.containsKey(HOSTED_PASSWORD)) {
      values.put(HOSTED_PASSWORD, true);
    }
    if (!values.containsKey(HOSTED_SMS)) {
      values.put(HOSTED_SMS, false);
    }
    if (!values.containsKey(HOSTED_TITLE)) {
      values.putNull(HOSTED_TITLE);
    }
    if (!values.containsKey(HOSTED_LOGO_URL)) {
      values.putNull(HOSTED_LOGO_URL);
    }
  }

  static Object validate(String field, Object value) {
    String name = "settings." + field;
    return switch (field) {
      case PROFILE_FIELDS -> profileFields(name, value);
      case HOSTED_PASSWORD, HOSTED_SMS -> {
        if (!(value instanceof Boolean flag)) {
          throw ApiException.invalid(name, "must be true or false");
        }
        yield flag;
      }
      case HOSTED_TITLE -> {
        if (value != null && (!(value instanceof String title) || title.isBlank() || title.codePointCount(0, title.length()) > MAX_TITLE)) {
          throw ApiException.invalid(name, "must be a string of 1 to " + MAX_TITLE + " characters, or null");
        }
        yield value == null ? null : DisplayText.requireVisible(name, (String) value);
      }
      default -> logoUrl(name, value);
    };
  }

  private static JsonArray profileFields(String name, Object value) {
    if (!(value instanceof JsonArray array)) {
      throw ApiException.invalid(name, "must be an array of " + PROFILE);
    }
    JsonArray out = new JsonArray();
    for (String known : PROFILE) {
      if (array.contains(known)) {
        out.add(known);
      }
    }
    if (out.size() != array.stream().distinct().count()) {
      throw ApiException.invalid(name, "must contain only " + PROFILE);
    }
    return out;
  }

  /** An https URL (the page's CSP allows images from https only), or null. */
  private static String logoUrl(String name, Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String url)) {
      throw ApiException.invalid(name, "must be an https URL or null");
    }
    if (url.length() > MAX_LOGO_URL) {
      throw ApiException.invalid(name, "must be at most " + MAX_LOGO_URL + " characters");
    }
    try {
      URI uri = new URI(url);
      if (!"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawUserInfo() != null) {
        throw ApiException.invalid(name, "must be an https URL or null");
      }
    } catch (URISyntaxException e) {
      throw ApiException.invalid(name, "must be an https URL or null");
    }
    return url;
  }
}
