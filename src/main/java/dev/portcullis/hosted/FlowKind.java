package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * One kind of hosted flow (Autz.org onboarding, a conversation, OpenID Connect...). The kind starts its flows
 * from its own entry route with {@link FlowEngine#begin}; the engine runs the steps; once the user is signed in
 * and has answered what the flow asks, the engine calls {@link #complete} and sends the browser where it says.
 */
public interface FlowKind {

  /** The kind's name, stored with its flows and used as a metric label: {@code autz}, {@code conversation}... */
  String name();

  /**
   * Finishes a flow: issue what the kind issues (an authorization code, a conversation result) and answer the
   * URL the browser is redirected to, a target the kind verified when the flow began.
   *
   * @param user    {id, email, phone, created_at} of the signed-in user
   * @param answers the profile step's answers, keyed by field name (empty when the flow asked nothing)
   */
  Future<String> complete(App app, Flow flow, JsonObject user, boolean newUser, Map<String, String> answers,
                          Visit visit);

  /**
   * Whether the identity a flow of this kind signs in with must have been proven by a code: a conversation's result
   * hands its backend the email or phone as proven (API.md), and a password the app's backend set for an address
   * nobody proved (an app without {@code require_verified_identity}) is no such proof.
   */
  default boolean needsProvenIdentity() {
    return false;
  }

  /**
   * Whether a flow of this kind may still take a step: a conversation finished (or expired) in another tab of the
   * browser may not, or its next step would send a code and make a user for nothing.
   */
  default Future<Boolean> stillOpen(App app, Flow flow, Visit visit) {
    return Future.succeededFuture(true);
  }

  /**
   * The flow's redirect target is still one of the app's callback URLs: an owner who removes a compromised one
   * must not have its flows (30 minutes long) keep sending codes there.
   */
  static Future<Void> stillRegistered(App app, String target) {
    return app.registers(target) ? Future.succeededFuture()
        : Future.failedFuture(new ApiException(ErrorCode.INVALID_REQUEST,
            "the app no longer accepts this redirect address; start again from the app"));
  }

  /** Who is asking, for audit events and limits. */
  record Visit(String requestId, String clientIp) {
  }
}
