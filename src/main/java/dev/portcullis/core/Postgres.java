package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.pgclient.SslMode;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import javax.net.ssl.TrustManagerFactory;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Postgres pool of one verticle (a named, shared pool: all verticles of a process use the same
 * connections) with every call bounded in time. A call that cannot reach Postgres, or that Postgres refuses
 * because it is shutting down, starting or out of connections, fails with {@code 503 unavailable}; any other
 * error Postgres itself answered stays a {@link PgException}.
 */
public final class Postgres {

  public static final String UNIQUE_VIOLATION = "23505";
  private static final String FOREIGN_KEY_VIOLATION = "23503";
  private static final Pattern LAST_ID = Pattern.compile("(?:^|_)([a-z]+_id)$");

  /**
   * The longest statement the client keeps prepared per connection. The client's default, 2,048 characters,
   * leaves a longer statement unnamed: parsed and planned again on every call (0.7 ms of Postgres CPU for the
   * OTP sign-in's, more than it takes to run). {@code StatementCacheTest} holds every statement under this.
   */
  public static final int CACHED_SQL_LIMIT = 8_192;

  private final Pool pool;
  private final long timeoutMs;
  /**
   * Requests' pools: a transaction still running at the deadline is rolled back, since its caller is answered 503.
   * Jobs' and writers' pools: it commits when its work succeeds, since nobody is told otherwise and a batch that
   * always outlived the bound would otherwise never make progress.
   */
  private final boolean deadlineRollsBack;

  private Postgres(Pool pool, long timeoutMs, boolean deadlineRollsBack) {
    this.pool = pool;
    this.timeoutMs = timeoutMs;
    this.deadlineRollsBack = deadlineRollsBack;
  }

  /**
   * The requests' pool. Its statements wait on a lock no longer than a request waits ({@code lock_timeout}, answered
   * 503 like an outage): one still waiting after its request had answered kept its connection, and a few requests
   * behind one long transaction (an app being deleted, thousands of sessions being revoked) took every connection,
   * so every other app's requests answered 503 too.
   */
  public static Postgres create(Vertx vertx, GatewayConfig config) {
    return create(vertx, config, "portcullis-pg", config.pgPoolSize(), requestBounds(config), true);
  }

  /**
   * A pool of its own (shared by name within the process) whose statements wait on a lock no longer than a request's:
   * for a transaction that holds a row while another verticle works on the requests' pool. On that pool, enough of
   * them at once held every connection while each waited for one more.
   */
  public static Postgres createBesideRequests(Vertx vertx, GatewayConfig config, String name, int maxSize) {
    return create(vertx, config, name, maxSize, requestBounds(config), true);
  }

  /**
   * A requests' pool's statements wait on a lock, and run, no longer than a request waits: one single statement
   * (autocommit, outside {@link #inTransaction}) that outlived its 503 committed after it, e.g. a first sign-in's
   * user and session with none of their audit events, since the events' own write then timed out behind it.
   */
  private static Map<String, String> requestBounds(GatewayConfig config) {
    String bound = Long.toString(config.backendTimeoutMs());
    return Map.of("lock_timeout", bound, "statement_timeout", bound);
  }

  /**
   * A pool of its own (shared by name within the process), for a writer that must not queue behind requests or a
   * periodic job: a transaction past its bound still commits (see {@link #inTransaction}).
   */
  public static Postgres create(Vertx vertx, GatewayConfig config, String name, int maxSize) {
    return create(vertx, config, name, maxSize, Map.of(), false);
  }

  /** {@code settings}: server settings every connection of the pool starts with (sent at connection start). */
  private static Postgres create(Vertx vertx, GatewayConfig config, String name, int maxSize,
                                 Map<String, String> settings, boolean deadlineRollsBack) {
    PgUrl url = config.pgUrl();
    PgConnectOptions connect = connectOptions(url);
    settings.forEach(connect::addProperty);
    PoolOptions options = new PoolOptions()
        .setMaxSize(maxSize)
        .setShared(true)
        .setName(name + "-" + url.database())
        .setMaxWaitQueueSize(4096)
        .setConnectionTimeout((int) config.backendTimeoutMs())
        .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
    Pool pool = PgBuilder.pool().with(options).connectingTo(connect).using(vertx).build();
    return new Postgres(pool, config.backendTimeoutMs(), deadlineRollsBack);
  }

  /** How every pool connects: prepared statements cached per connection, up to {@link #CACHED_SQL_LIMIT}. */
  static PgConnectOptions connectOptions(PgUrl url) {
    PgConnectOptions connect = new PgConnectOptions()
        .setHost(url.host())
        .setPort(url.port())
        .setDatabase(url.database())
        .setUser(url.user())
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheSqlLimit(CACHED_SQL_LIMIT)
        .setPipeliningLimit(16);
    if (url.password() != null) {
      connect.setPassword(url.password());
    }
    if (url.sslMode() != null) {
      connect.setSslMode(SslMode.of(url.sslMode()));
      // As libpq: up to require the channel is encrypted but the server unchecked; verify-ca checks its
      // certificate (against sslrootcert, else the JVM's CAs), verify-full its host name too.
      boolean verify = url.sslMode().startsWith("verify-");
      ClientSSLOptions tls = new ClientSSLOptions()
          .setTrustAll(!verify)
          .setHostnameVerificationAlgorithm("verify-full".equals(url.sslMode()) ? "HTTPS" : "");
      if (url.sslRootCert() != null) {
        tls.setTrustOptions(new PemTrustOptions().addCertPath(url.sslRootCert()));
      } else if (verify) {
        // The pg client wants trust named for verify-*: the JVM's own CAs (cacerts, or javax.net.ssl.trustStore).
        tls.setTrustOptions(TrustOptions.wrap(jvmTrust()));
      }
      connect.setSslOptions(tls);
    }
    return connect;
  }

  private static TrustManagerFactory jvmTrust() {
    try {
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init((java.security.KeyStore) null);
      return factory;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the JVM's trusted CAs cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * The same pool with another bound on each call: for periodic jobs, whose work is not request-sized. On a job's
   * pool the bound fails the caller's future only; a transaction it cuts short still commits when its work succeeds.
   */
  public Postgres withTimeout(long timeoutMs) {
    return new Postgres(pool, timeoutMs, deadlineRollsBack);
  }

  /** How long a call waits before its caller is answered 503 (the backend timeout, or a job's own bound). */
  public long timeoutMs() {
    return timeoutMs;
  }

  /** Runs a statement (or several) on the pool. */
  public <T> Future<T> run(Function<Pool, Future<T>> work) {
    return guard(work.apply(pool));
  }

  /** Runs work on one connection (e.g. a session-level advisory lock and what it guards), then gives it back. */
  public <T> Future<T> withConnection(Function<SqlConnection, Future<T>> work) {
    return guard(pool.withConnection(work));
  }

  /**
   * Runs work in one transaction: committed when the future succeeds, rolled back when it fails. On a requests' pool
   * the deadline decides the outcome, not only how long the caller waits: work that ends after it is rolled back, and
   * work that ended before it is committed and the commit's outcome awaited, so a {@code 503} never hides a commit (a
   * disable answered 503 had committed without the revocation of its sessions that follows the commit). The work is
   * not cut short (its statements would go on outside the transaction once it had been rolled back); the caller waits
   * for it, a second deadline at most. Work that has not begun when the deadline passes (no connection yet) is
   * answered {@code 503} at once, and never begins.
   */
  public <T> Future<T> inTransaction(Function<SqlConnection, Future<T>> work) {
    if (!deadlineRollsBack) {
      return guard(pool.withTransaction(work));
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    AtomicBoolean begun = new AtomicBoolean();
    Future<T> transaction = RequestContext.carried(pool.withTransaction(conn -> {
      if (!begun.compareAndSet(false, true) || System.nanoTime() - deadline >= 0) {
        return Future.failedFuture(ApiException.unavailable("postgres"));
      }
      return work.apply(conn).compose(result -> System.nanoTime() - deadline >= 0
          ? Future.failedFuture(ApiException.unavailable("postgres"))
          : Future.succeededFuture(result));
    }));
    return outage(transaction.timeout(timeoutMs, TimeUnit.MILLISECONDS).recover(failure ->
        failure instanceof TimeoutException && !begun.compareAndSet(false, true)
            // Begun: its outcome is the answer (bounded again: a server that hangs mid-commit stays unknown).
            ? transaction.timeout(timeoutMs, TimeUnit.MILLISECONDS)
            : Future.failedFuture(failure)));
  }

  public Future<Void> close() {
    return pool.close();
  }

  public static boolean isUniqueViolation(Throwable failure) {
    return failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
  }

  public static boolean isForeignKeyViolation(Throwable failure) {
    return failure instanceof PgException pg && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState());
  }

  /**
   * The column of a row written with a reference to a row that is not there (deleted while the request ran): the
   * last {@code *_id} of the violated key, named {@code <table>_<columns>_fkey} as Postgres names them. Null for
   * any other failure, and for a delete that rows still refer to (Postgres words that one "update or delete on").
   */
  public static String missingReference(Throwable failure) {
    if (!(failure instanceof PgException pg) || !FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())
        || pg.getTable() == null || pg.getConstraint() == null
        || pg.getErrorMessage() == null || !pg.getErrorMessage().startsWith("insert or update on table")) {
      return null;
    }
    String prefix = pg.getTable() + "_";
    String constraint = pg.getConstraint();
    if (!constraint.startsWith(prefix) || !constraint.endsWith("_fkey")) {
      return null;
    }
    Matcher column = LAST_ID.matcher(constraint.substring(prefix.length(), constraint.length() - "_fkey".length()));
    return column.find() ? column.group(1) : null;
  }

  private <T> Future<T> guard(Future<T> operation) {
    return outage(RequestContext.carried(operation).timeout(timeoutMs, TimeUnit.MILLISECONDS));
  }

  /** Any failure that is not the request's own nor a bug is Postgres being unavailable. */
  private static <T> Future<T> outage(Future<T> operation) {
    return operation.recover(failure -> failure instanceof ApiException || Failures.isBug(failure)
        || failure instanceof PgException pg && !isOutage(pg)
        ? Future.failedFuture(failure)
        : Future.failedFuture(ApiException.unavailable("postgres")));
  }

  /**
   * Connection exceptions (08), insufficient resources (53), operator intervention (57P: shutdown, starting), a
   * lock waited on past {@code lock_timeout} (55P03), a statement cancelled at {@code statement_timeout} (57014), and
   * a transaction Postgres rolled back as a deadlock's or a serialization's victim (40P01, 40001): all end in a
   * {@code 503} whose retry may well pass, never a 500 (h37: two deletions of one user with many sessions).
   */
  private static boolean isOutage(PgException failure) {
    String state = failure.getSqlState();
    return state != null && (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P")
        || state.equals("55P03") || state.equals("57014") || state.equals("40P01") || state.equals("40001"));
  }
}
