package dev.portcullis.token;

import dev.portcullis.core.RedisStore;
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
 * The revocation checks of one verticle instance, sent to Redis together: the checks asked for during one
 * turn of the event loop go out as one pipeline when the turn ends. Each check still reads Redis after its
 * request arrived, so a revocation shows at once, as with one {@code EXISTS} per request; Redis and the
 * gateway write and read once per batch instead of once per request.
 */
final class RevocationChecks {

  private record Check(String key, Promise<Boolean> revoked) {
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

  Future<Boolean> isRevoked(UUID session) {
    Promise<Boolean> revoked = Promise.promise();
    if (waiting.isEmpty()) {
      context.runOnContext(endOfTurn -> send());
    }
    waiting.add(new Check(revocations.key(session), revoked));
    return revoked.future();
  }

  private void send() {
    List<Check> batch = waiting;
    waiting = new ArrayList<>();
    List<Request> requests = batch.stream().map(check -> Request.cmd(Command.EXISTS).arg(check.key())).toList();
    redis.batch(requests).onComplete(replies -> {
      for (int i = 0; i < batch.size(); i++) {
        if (replies.succeeded()) {
          Response reply = replies.result().get(i);
          batch.get(i).revoked().complete(reply != null && reply.toInteger() > 0);
        } else {
          batch.get(i).revoked().fail(replies.cause());
        }
      }
    });
  }
}
