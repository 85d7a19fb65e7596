package dev.portcullis.conversation;

import dev.portcullis.app.App;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.hosted.AnswerFields;
import dev.portcullis.hosted.Flow;
import dev.portcullis.hosted.FlowKind;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/**
 * A conversation's flow: once the user has proven an identity (and, for an authentication, it is the user the
 * challenge names), the result is stored for the backend to read and the browser goes to the returnUrl.
 */
final class ConversationKind implements FlowKind {

  static final String NAME = "conversation";
  static final String FINISHED = "conversation.finished";

  private final ConversationStore store;
  private final AuditLog audit;

  ConversationKind(ConversationStore store, AuditLog audit) {
    this.store = store;
    this.audit = audit;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsProvenIdentity() {
    return true;
  }

  @Override
  public Future<Boolean> stillOpen(App app, Flow flow, Visit visit) {
    UUID conversationId = UUID.fromString(flow.data().getString("conversation_id"));
    // A returnUrl the app's callback URLs no longer cover ends the conversation, as a removed callback ends the
    // other kinds' flows: the owner removed it for a reason. It reads EXPIRED from then on, so the backend does not
    // wait out its 30 minutes (h79: IN_PROGRESS while its page said it was over).
    return store.find(conversationId, app.id()).compose(conversation -> {
      if (conversation == null || !conversation.open()) {
        return Future.succeededFuture(false);
      }
      if (!ConversationRequest.matchesCallback(app, conversation.returnUrl())) {
        return store.end(conversationId).map(false);
      }
      String challenged = flow.data().getString("challenged_user");
      if (challenged == null) {
        return Future.succeededFuture(true);
      }
      // The user the challenge named was deleted since the page opened: its next step would send a code to the
      // erased address and make a new user of it.
      return store.challenged(app.id(), UUID.fromString(conversation.challenge())).compose(user -> user != null
          && user.userId().toString().equals(challenged)
          ? Future.succeededFuture(true)
          : failUnknownChallenge(app, conversationId, visit).map(false));
    });
  }

  /**
   * Ends a conversation whose challenge names no user (any more) as one created with an unknown challenge ends:
   * FINISHED, with auth FAILED, so the backend does not wait out its expiry.
   */
  Future<Void> failUnknownChallenge(App app, UUID conversationId, Visit visit) {
    JsonObject failed = new JsonObject().put("auth", new JsonObject().put("status", "FAILED"));
    return store.finish(conversationId, failed, null).compose(returnUrl -> returnUrl == null
        ? Future.succeededFuture()
        : audit.record(AuditEvent.of(FINISHED, app.id(), visit.requestId(), visit.clientIp())
            .with("conversation_id", conversationId.toString())
            .with("auth_status", "FAILED")
            .with("reason", "unknown_challenge")));
  }

  static JsonObject data(Conversation conversation, UUID challengedUser) {
    return new JsonObject()
        .put("conversation_id", conversation.id().toString())
        .put("auth", conversation.query().containsKey("auth"))
        .put("fields", conversation.query().getJsonObject("identity", new JsonObject())
            .getJsonArray("requireOneOf", new io.vertx.core.json.JsonArray()))
        .put("challenged_user", challengedUser == null ? null : challengedUser.toString());
  }

  @Override
  public Future<String> complete(App app, Flow flow, JsonObject user, boolean newUser, Map<String, String> answers,
                                 Visit visit) {
    JsonObject data = flow.data();
    UUID conversationId = UUID.fromString(data.getString("conversation_id"));
    UUID userId = UUID.fromString(user.getString("id"));
    String challenged = data.getString("challenged_user");
    String method = Identity.fromQualified(flow.identity()).kind().field();
    boolean sameUser = challenged == null || challenged.equals(userId.toString());
    Future<JsonObject> auth = !data.getBoolean("auth")
        ? Future.succeededFuture(null)
        : !sameUser
            ? Future.succeededFuture(new JsonObject().put("status", "FAILED"))
            : store.credentials(app.id(), userId, method).map(pair -> new JsonObject()
                .put("status", "FINISHED")
                .put("token", pair.token().toString())
                .put("challenge", pair.challenge().toString()));
    return auth.compose(authResult -> {
      JsonObject result = new JsonObject();
      JsonObject identity = identity(data, user, answers);
      if (identity != null) {
        result.put("identity", identity);
      }
      if (authResult != null) {
        result.put("auth", authResult);
      }
      return store.finish(conversationId, result, userId).compose(returnUrl -> {
        if (returnUrl == null) {
          return Future.failedFuture(new ApiException(ErrorCode.INVALID_REQUEST, "conversation is over"));
        }
        AuditEvent finished = AuditEvent.of(FINISHED, app.id(), visit.requestId(), visit.clientIp())
            .withUser(userId)
            .with("conversation_id", conversationId.toString())
            .with("auth_status", authResult == null ? null : authResult.getString("status"));
        return audit.record(finished).map(v -> returnUrl.replace(ConversationRequest.PLACEHOLDER,
            URLEncoder.encode(conversationId.toString(), StandardCharsets.UTF_8)));
      });
    });
  }

  /** The requested identity fields, flat and keyed by their names; null when none were requested. */
  private static JsonObject identity(JsonObject data, JsonObject user, Map<String, String> answers) {
    var sets = data.getJsonArray("fields");
    if (sets == null || sets.isEmpty()) {
      return null;
    }
    JsonObject identity = new JsonObject();
    sets.forEach(set -> ((io.vertx.core.json.JsonArray) set).forEach(field -> {
      String name = (String) field;
      String value = switch (name) {
        case "EMAIL" -> user.getString("email");
        case "PHONE" -> user.getString("phone");
        default -> answers.get(name);
      };
      if (value != null && AnswerFields.isIdentityField(name)) {
        identity.put(name, value);
      }
    }));
    return identity;
  }
}
