package dev.portcullis.hosted;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;

/**
 * One sign-in in one browser tab: which app, which kind of flow (and the kind's own data, such as the return
 * target), what it asks for, and how far the user has come. Kept in Redis under the browser's cookie and the
 * flow id, never in the URL.
 *
 * @param identity     the identity the user gave or the kind fixed ({@link dev.portcullis.otp.Identity#qualified()})
 * @param fixedIdentity true when the kind named the user (an authentication by challenge): no identity input
 * @param ask          the answer fields of the profile step, in order
 * @param anyOf        sets of fields of which one must be complete ({@code EMAIL} and {@code PHONE} count when proven)
 * @param data         the kind's own data (callback, state, code challenge, conversation id...)
 * @param challenge    the password step's anti-abuse challenge, or null
 */
public record Flow(String id, UUID appId, String kind, String csrf, Step step, String identity,
                   boolean fixedIdentity, String otpRequestId, JsonObject user, boolean newUser, List<String> ask,
                   List<List<String>> anyOf, JsonObject data, PasswordSignIn.Challenge challenge) {

  public enum Step { IDENTITY, PASSWORD, CODE, PROFILE }

  /** A new flow at its first step. */
  public static Flow start(UUID appId, String kind, String identity, List<String> ask, List<List<String>> anyOf,
                           JsonObject data) {
    return new Flow(Tokens.random(16), appId, kind, Tokens.random(32), Step.IDENTITY, identity, identity != null, null,
        null, false, List.copyOf(ask), anyOf.stream().map(List::copyOf).toList(), data, null);
  }

  public Flow at(Step next) {
    return new Flow(id, appId, kind, csrf, next, identity, fixedIdentity, otpRequestId, user, newUser, ask, anyOf, data, challenge);
  }

  public Flow withIdentity(String qualified) {
    return new Flow(id, appId, kind, csrf, step, qualified, fixedIdentity, otpRequestId, user, newUser, ask, anyOf,
        data, challenge);
  }

  public Flow withCode(String requestId) {
    return new Flow(id, appId, kind, csrf, Step.CODE, identity, fixedIdentity, requestId, user, newUser, ask, anyOf,
        data, null);
  }

  public Flow signedIn(JsonObject signedIn, boolean created) {
    return new Flow(id, appId, kind, csrf, step, identity, fixedIdentity, null, signedIn, created, ask, anyOf, data,
        null);
  }

  /** At the password step, with the challenge its form carries. */
  public Flow atPassword(PasswordSignIn.Challenge passwordChallenge) {
    return new Flow(id, appId, kind, csrf, Step.PASSWORD, identity, fixedIdentity, otpRequestId, user, newUser, ask,
        anyOf, data, passwordChallenge);
  }

  public JsonObject toJson() {
    JsonArray sets = new JsonArray();
    anyOf.forEach(set -> sets.add(new JsonArray(set)));
    return new JsonObject()
        .put("id", id)
        .put("app_id", appId.toString())
        .put("kind", kind)
        .put("csrf", csrf)
        .put("step", step.name())
        .put("identity", identity)
        .put("fixed_identity", fixedIdentity)
        .put("otp_request_id", otpRequestId)
        .put("user", user)
        .put("new_user", newUser)
        .put("ask", new JsonArray(ask))
        .put("any_of", sets)
        .put("data", data)
        .put("challenge", challenge == null ? null
            : new JsonObject().put("token", challenge.token()).put("difficulty", challenge.difficulty()));
  }

  public static Flow fromJson(JsonObject json) {
    List<List<String>> anyOf = json.getJsonArray("any_of").stream()
        .map(set -> ((JsonArray) set).stream().map(String::valueOf).toList())
        .toList();
    return new Flow(json.getString("id"), UUID.fromString(json.getString("app_id")), json.getString("kind"),
        json.getString("csrf"), Step.valueOf(json.getString("step")), json.getString("identity"),
        json.getBoolean("fixed_identity"), json.getString("otp_request_id"), json.getJsonObject("user"),
        json.getBoolean("new_user"), json.getJsonArray("ask").stream().map(String::valueOf).toList(), anyOf,
        json.getJsonObject("data"), challenge(json.getJsonObject("challenge")));
  }

  private static PasswordSignIn.Challenge challenge(JsonObject json) {
    return json == null ? null : new PasswordSignIn.Challenge(json.getString("token"), json.getInteger("difficulty"));
  }

  /** Masked: a record's default toString would print the identity and the CSRF token. */
  @Override
  public String toString() {
    return "Flow[" + id + " " + kind + " app " + appId + " at " + step + "]";
  }
}
