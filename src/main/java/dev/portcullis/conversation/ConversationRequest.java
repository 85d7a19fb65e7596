package dev.portcullis.conversation;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.app.CallbackUrls;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import dev.portcullis.hosted.AnswerFields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/** A validated {@code POST /api/conversations} body: {userKey, returnUrl, query: {identity?, auth?}}. */
record ConversationRequest(String userKey, String returnUrl, JsonObject query, List<List<String>> requireOneOf,
                           boolean auth, UUID challenge) {

  static final String PLACEHOLDER = "{conversationId}";
  private static final int MAX_USER_KEY = 256;
  private static final int MAX_URL = 2048;
  private static final int MAX_SETS = 10;
  /** Stands in for {@link #PLACEHOLDER} while a return URL is checked: braces are not allowed in a URL. */
  private static final String SAMPLE_ID = "00000000-0000-0000-0000-000000000000";

  static ConversationRequest parse(JsonObject body, App app) {
    String userKey = DisplayText.require("userKey", string(body, "userKey", MAX_USER_KEY));
    String returnUrl = string(body, "returnUrl", MAX_URL);
    if (!matchesCallback(app, returnUrl)) {
      throw ApiException.invalid("returnUrl",
          "must be a URL in ASCII (%-encode anything else) whose origin and path equal those of one of the app's "
              + "callback_urls (only the query may differ; no fragment)");
    }
    if (!(body.getValue("query") instanceof JsonObject query)) {
      throw ApiException.invalid("query", body.getValue("query") == null ? "is required" : "must be an object");
    }
    List<List<String>> sets = requireOneOf(query.getValue("identity"));
    if (!sets.isEmpty() && !app.settings().hosted().sms() && sets.stream().allMatch(set -> set.contains("PHONE"))) {
      throw ApiException.invalid("query.identity.requireOneOf", "every set needs PHONE, which this app's hosted "
          + "pages cannot prove: they sign in with a phone only when the app's hosted_sms setting is true");
    }
    Object auth = query.getValue("auth");
    if (auth != null && !(auth instanceof JsonObject)) {
      throw ApiException.invalid("query.auth", "must be an object");
    }
    UUID challenge = null;
    if (auth instanceof JsonObject authQuery && authQuery.getValue("challenge") != null) {
      challenge = authQuery.getValue("challenge") instanceof String text ? AppDirectory.parseUuid(text) : null;
      if (challenge == null) {
        throw ApiException.invalid("query.auth.challenge", "must be a UUID");
      }
    }
    JsonObject stored = new JsonObject();
    if (query.getValue("identity") != null) {
      JsonArray oneOf = new JsonArray();
      sets.forEach(set -> oneOf.add(new JsonArray(set)));
      stored.put("identity", new JsonObject().put("requireOneOf", oneOf));
    }
    if (auth != null) {
      stored.put("auth", challenge == null ? new JsonObject() : new JsonObject().put("challenge", challenge.toString()));
    }
    return new ConversationRequest(userKey, returnUrl, stored, sets, auth != null, challenge);
  }

  /** The answer fields the page asks for: every requested field that the sign-in does not prove, in order. */
  List<String> asked() {
    Set<String> fields = new LinkedHashSet<>();
    requireOneOf.forEach(set -> set.stream().filter(field -> !AnswerFields.PROVEN.contains(field)).forEach(fields::add));
    return List.copyOf(fields);
  }

  /**
   * The return URL is a valid absolute URL in printable ASCII (so it can be a {@code Location} as it is), with
   * {@code {conversationId}} in its query at most and no fragment, and its origin (scheme and host without regard
   * to case, port with the scheme's default filled in) and path equal those of one of the app's callback URLs;
   * the query may differ.
   */
  static boolean matchesCallback(App app, String returnUrl) {
    if (beforeQuery(returnUrl).contains(PLACEHOLDER)) {
      return false;
    }
    URI url = parse(returnUrl.replace(PLACEHOLDER, SAMPLE_ID));
    if (url == null || url.getRawFragment() != null) {
      return false;
    }
    // Only those the rules still accept: one stored before a rule (a port out of range, h98) is no callback.
    return app.usableCallbackUrls().stream().map(ConversationRequest::parse)
        .anyMatch(callback -> callback != null && sameOriginAndPath(callback, url));
  }

  /** An absolute http(s) URL with a host, of printable ASCII only; else null. */
  private static URI parse(String url) {
    for (int i = 0; i < url.length(); i++) {
      if (url.charAt(i) <= ' ' || url.charAt(i) > '~') {
        return null;
      }
    }
    try {
      URI uri = new URI(url);
      String scheme = uri.getScheme();
      boolean web = "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
      return web && uri.getHost() != null ? uri : null;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static boolean sameOriginAndPath(URI callback, URI url) {
    return Objects.equals(CallbackUrls.origin(callback), CallbackUrls.origin(url))
        && Objects.equals(callback.getRawUserInfo(), url.getRawUserInfo())
        && Objects.equals(callback.getRawPath(), url.getRawPath());
  }

  private static String beforeQuery(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }

  private static List<List<String>> requireOneOf(Object identity) {
    if (identity == null) {
      return List.of();
    }
    if (!(identity instanceof JsonObject json)) {
      throw ApiException.invalid("query.identity", "must be an object");
    }
    if (!(json.getValue("requireOneOf") instanceof JsonArray sets) || sets.isEmpty() || sets.size() > MAX_SETS) {
      throw ApiException.invalid("query.identity.requireOneOf", "must be an array of 1 to " + MAX_SETS + " field lists");
    }
    List<List<String>> out = new ArrayList<>();
    for (Object set : sets) {
      if (!(set instanceof JsonArray fields) || fields.isEmpty()) {
        throw ApiException.invalid("query.identity.requireOneOf", "each entry must be a non-empty array of fields");
      }
      List<String> names = new ArrayList<>();
      for (Object field : fields) {
        if (!(field instanceof String name) || !AnswerFields.isIdentityField(name)) {
          // Named back only when it looks like a field name: a 50 KB string was answered whole.
          String named = field instanceof String text && text.matches("[A-Za-z_]{1,40}") ? " " + text : "";
          throw ApiException.invalid("query.identity.requireOneOf", "unknown field" + named + "; known: "
              + "PERSON_NAME_FIRSTNAME, PERSON_NAME_LASTNAME, PERSON_DATE_OF_BIRTH, EMAIL, PHONE, ADDRESS");
        }
        if (!names.contains(name)) {
          names.add(name);
        }
      }
      out.add(List.copyOf(names));
    }
    return List.copyOf(out);
  }

  private static String string(JsonObject body, String field, int max) {
    Object value = body.getValue(field);
    if (value != null && !(value instanceof String)) {
      throw ApiException.invalid(field, "must be a string");
    }
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiException.invalid(field, "is required");
    }
    if (DisplayText.characters(text) > max) {
      throw ApiException.invalid(field, "must be at most " + max + " characters");
    }
    return text;
  }
}
