package dev.portcullis.hosted;

import dev.portcullis.app.App;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/**
 * Autz.org onboarding: the flow ends with {@code 302 <callback_url>?auth_code=<code>&state=<state>}, the code
 * bound to the app, the callback and the PKCE challenge. The profile answers go to the user's profile.
 */
public final class AutzKind implements FlowKind {

  public static final String NAME = "autz";

  private final AuthCodes codes;
  private final HostedUsers users;

  public AutzKind(AuthCodes codes, HostedUsers users) {
    this.codes = codes;
    this.users = users;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The kind's data of a flow: the verified callback, and the state and challenge the app sent (either may be null). */
  public static JsonObject data(String callbackUrl, String state, String codeChallenge) {
    return new JsonObject().put("callback_url", callbackUrl).put("state", state).put("code_challenge", codeChallenge);
  }

  @Override
  public Future<String> complete(App app, Flow flow, JsonObject user, boolean newUser, Map<String, String> answers,
                                 Visit visit) {
    JsonObject data = flow.data();
    String callback = data.getString("callback_url");
    String state = data.getString("state");
    return FlowKind.stillRegistered(app, callback)
        .compose(registered -> users.saveProfile(app.id(), UUID.fromString(user.getString("id")), answers))
        .compose(saved -> codes.issue(new AuthCodes.Grant(app.id(), callback, data.getString("code_challenge"), user,
            newUser, new JsonObject().put("kind", NAME))))
        .map(code -> callback + (callback.contains("?") ? "&" : "?") + "auth_code=" + encode(code)
            + (state == null ? "" : "&state=" + encode(state)));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
