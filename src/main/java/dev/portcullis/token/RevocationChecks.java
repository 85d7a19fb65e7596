package dev.portcullis.token;

import dev.portcullis.core.RedisStore;
import dev.portcullis.user.UserChanges;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The revocation checks of one verticle instance (each with its user's change marker), sent to Redis together: the checks asked for during one
 * turn of the event loop go out as one pipeline when the turn ends. Each check still reads Redis after its
 * request arrived, so a revocation shows at once, as with one {@code EXISTS} per request; Redis and the
 * gateway write and read once per batch instead of once per request.
 */
final class RevocationChecks {

  /** What Redis said of a session: revoked or not, and its user's change marker (null when there is none). */
  record State(boolean revoked, String userMarker) {
  }

  private record Check(String key, String userKey, Promise<State> state) {
  }

  private final Context context;
  private final RedisStore redis;
  private final Revocations revocations;
  private List<Check> waiting = new ArrayList<>();

  /** Made on the event loop of the verticle that will use it. */
  RevocationChecks(RedisStore redis, Revocations revocations) {
    this.context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("revocation checks belong to a verticle's event loop");
    }
    this.redis = redis;
    this.revocations = revocations;
  }

  /** The session's revocation marker and its user's change marker ({@link UserChanges}), read together. */
  Future<State> check(UUID session, UUID user) {
    Promise<State> state = Promise.promise();
    if (waiting.isEmpty()) {
      context.runOnContext(endOfTurn -> send());
    }
    waiting.add(new Check(revocations.key(session), UserChanges.key(redis, user), state));
    return state.future();
  }

  private void send() {
    List<Check> batch = waiting;
    waiting = new ArrayList<>();
    List<Request> requests = new ArrayList<>(batch.size() * 2);
    for (Check check : batch) {
      requests.add(Request.cmd(Command.EXISTS).arg(check.key()));
      requests.add(Request.cmd(Command.GET).arg(check.userKey()));
    }
    redis.batch(requests).onComplete(replies -> {
      for (int i = 0; i < batch.size(); i++) {
        if (replies.succeeded()) {
          Response revoked = replies.result().get(2 * i);
          Response marker = replies.result().get(2 * i + 1);
          batch.get(i).state().complete(new State(revoked != null && revoked.toInteger() > 0,
              marker == null ? null : marker.toString()));
        } else {
          batch.get(i).state().fail(replies.cause());
        }
      }
    });
  }
}
