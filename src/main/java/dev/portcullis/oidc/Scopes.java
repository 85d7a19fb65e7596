package dev.portcullis.oidc;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The scopes an app's OpenID Connect client may ask for; unknown ones are ignored, as OpenID Connect Core asks. */
final class Scopes {

  static final String OPENID = "openid";
  static final String EMAIL = "email";
  static final String PHONE = "phone";
  static final String PROFILE = "profile";
  static final String OFFLINE_ACCESS = "offline_access";
  static final List<String> SUPPORTED = List.of(OPENID, EMAIL, PHONE, PROFILE, OFFLINE_ACCESS);

  private Scopes() {
  }

  /** The supported scopes of a space-separated scope parameter, in the order given, each once. */
  static Set<String> granted(String requested) {
    Set<String> scopes = new LinkedHashSet<>();
    if (requested != null) {
      Arrays.stream(requested.split(" ")).filter(SUPPORTED::contains).forEach(scopes::add);
    }
    return scopes;
  }

  /** Every scope a space-separated scope parameter names, known or not, each once. */
  static Set<String> named(String requested) {
    Set<String> scopes = new LinkedHashSet<>();
    Arrays.stream(requested.split(" ")).filter(scope -> !scope.isEmpty()).forEach(scopes::add);
    return scopes;
  }

  static String join(Set<String> scopes) {
    return String.join(" ", scopes);
  }
}
