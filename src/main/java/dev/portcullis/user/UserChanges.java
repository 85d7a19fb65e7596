package dev.portcullis.user;

import dev.portcullis.core.RedisStore;
import dev.portcullis.core.Secrets;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A per-user change marker in Redis: a random value written after every committed change of a user's roles,
 * memberships or profile. {@code /auth/me} reads it with the session's revocation marker (same pipeline) and
 * reloads its cached view of the session when the value differs from the one the view was loaded under, so a
 * change shows at once on every process while the cached view keeps serving unchanged users.
 *
 * <p>The change itself is committed when the marker is written, so a marker that cannot be written (Redis down) is
 * logged, never answered: the caller goes on to audit the change and answer it, and the cached views catch up
 * within their own lifetime (five seconds) instead.
 */
public final class UserChanges {

  private static final Logger LOG = LoggerFactory.getLogger(UserChanges.class);

  /** Far longer than any cached view lives; an expired marker reads as "changed" once more, never as stale. */
  static final long MARKER_TTL_SECONDS = 86_400;
  private static final int BATCH = 1_000;

  private final RedisStore redis;

  public UserChanges(RedisStore redis) {
    this.redis = redis;
  }

  /** The marker's key: the user id in braces, so any other key of this user would share its Redis Cluster slot. */
  public static String key(RedisStore redis, UUID userId) {
    return redis.key("user", "{" + userId + "}", "changed");
  }

  /** Records that the user changed: one Redis write. Call it after the change is committed; it never fails. */
  public Future<Void> changed(UUID userId) {
    return logged(redis.send(set(userId)).mapEmpty(), 1);
  }

  /** Records that these users changed, in pipelines of a thousand writes; it never fails. */
  public Future<Void> changed(List<UUID> userIds) {
    Future<Void> done = Future.succeededFuture();
    for (int from = 0; from < userIds.size(); from += BATCH) {
      List<Request> batch = userIds.subList(from, Math.min(userIds.size(), from + BATCH)).stream().map(this::set).toList();
      done = done.compose(ignored -> redis.batch(batch).mapEmpty());
    }
    return logged(done, userIds.size());
  }

  private static Future<Void> logged(Future<Void> written, int users) {
    return written.recover(failure -> {
      LOG.warn("the change markers of {} user(s) could not be written ({}); their cached session views catch up "
          + "within 5 s", users, failure.getMessage());
      return Future.succeededFuture();
    });
  }

  private Request set(UUID userId) {
    return Request.cmd(Command.SET).arg(key(redis, userId)).arg(Secrets.randomToken(12)).arg("EX").arg(MARKER_TTL_SECONDS);
  }
}
