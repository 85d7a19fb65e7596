package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.MasterKey;
import dev.portcullis.core.RequestContext;
import dev.portcullis.core.Secrets;
import dev.portcullis.core.messages.AppMessages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Client authentication for one HTTP verticle, with apps cached for at most {@link #TTL_NANOS}: a rotated
 * secret or a deleted app stops working on every gateway process within half a second, and on every
 * verticle of the process that changed it at once ({@link #announce}). Not shared between verticle
 * instances (each event loop keeps its own cache).
 *
 * <p>An id found not to exist is remembered for longer, process-wide ({@link UnknownApps}: 30 s, at most 10,000
 * ids), so random ids cost one database query per id and process; creating an app with an id drops it there at
 * once, in every process ({@link AppChangeRelay}).
 *
 * <p>Every attempt, whatever is wrong with it (unknown app, malformed id, wrong or missing secret), costs
 * exactly one HMAC of the presented secret, one cache look-up (unknown apps are cached too) and one
 * constant-time comparison, so the answer's timing does not tell the cases apart.
 */
public final class AppDirectory {

  static final long TTL_NANOS = 500_000_000L;
  private static final int MAX_ENTRIES = 10_000;
  private static final byte[] NO_MATCH = new byte[32];
  /** Looked up in place of a missing or malformed app id: no app has the nil UUID. */
  private static final UUID NO_APP = new UUID(0, 0);

  /** The outcome of one attempt: the app when it authenticated, else the id of the app it claimed if that exists. */
  public record Verdict(App app, UUID claimedAppId) {

    public boolean accepted() {
      return app != null;
    }
  }

  private record Entry(Future<Optional<App>> app, long loadedAt) {
  }

  private final Function<UUID, Future<App>> loader;
  private final Function<String, byte[]> secretHash;
  private final UnknownApps unknown;
  private final Counter loads;
  private final Counter unknownHits;
  private final Map<UUID, Entry> cache = new LinkedHashMap<UUID, AppDirectory.Entry>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<UUID, AppDirectory.Entry> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /** Without the process-wide set of unknown ids: absent apps are cached like the others, for half a second. */
  public AppDirectory(AppRepository apps, MasterKey masterKey) {
    this(apps::find, masterKey::appSecretHash);
  }

  /** For client authentication: unknown ids are remembered in {@code unknown}; the directory must {@link #listen}. */
  public AppDirectory(AppRepository apps, MasterKey masterKey, UnknownApps unknown, MeterRegistry metrics) {
    this(apps::find, masterKey::appSecretHash, unknown, metrics);
  }

  /** With the app loader (null when absent) and the keyed secret hash made explicit, as tests count them. */
  public AppDirectory(Function<UUID, Future<App>> loader, Function<String, byte[]> secretHash) {
    this(loader, secretHash, null, new SimpleMeterRegistry());
  }

  public AppDirectory(Function<UUID, Future<App>> loader, Function<String, byte[]> secretHash, UnknownApps unknown,
                      MeterRegistry metrics) {
    this.loader = loader;
    this.secretHash = secretHash;
    this.unknown = unknown;
    this.loads = Counter.builder("portcullis.app.cache.loads")
        .description("App look-ups of the client-auth cache that went to the database")
        .register(metrics);
    this.unknownHits = Counter.builder("portcullis.app.cache.unknown.hits")
        .description("App look-ups answered from the process's set of unknown app ids, without a query")
        .register(metrics);
  }

  public Future<Verdict> authenticate(String appId, String secret) {
    UUID claimed = parseUuid(appId);
    byte[] presented = secretHash.apply(secret == null ? "" : secret);
    return find(claimed == null ? NO_APP : claimed).map(found -> {
      App app = found.filter(candidate -> !candidate.isConsole()).orElse(null);
      byte[] expected = app == null || app.secretHash().length != NO_MATCH.length ? NO_MATCH : app.secretHash();
      boolean match = Secrets.constantTimeEquals(presented, expected);
      return match && secret != null && app != null
          ? new Verdict(app, app.id())
          : new Verdict(null, found.map(App::id).orElse(null));
    });
  }

  /**
   * {@link #find}, but never the console: it has no sign-in pages and no OpenID Connect provider of its own (owners
   * sign in through the admin API), so those routes answer for it as for an unknown app.
   */
  public Future<Optional<App>> findSignInApp(UUID id) {
    return find(id).map(found -> found.filter(app -> !app.isConsole()));
  }

  /** The app by id through the cache; concurrent look-ups of one id share one query. */
  public Future<Optional<App>> find(UUID id) {
    long now = System.nanoTime();
    Entry entry = cache.get(id);
    // A load still under way is shared however long it takes: a new one every half second piled up queries on a
    // Postgres already slow.
    if (entry != null && (now - entry.loadedAt() < TTL_NANOS || !entry.app().isComplete())) {
      // A new future for a loaded app: the cached one belongs to the context of the request that loaded it, and
      // what a caller composes on it would run there, its log lines carrying that other request's id. One still
      // loading brings each waiting caller its own id back when it completes.
      Future<Optional<App>> cached = entry.app();
      return cached.succeeded() ? Future.succeededFuture(cached.result()) : RequestContext.carried(cached);
    }
    if (unknown != null && unknown.contains(id, System.currentTimeMillis())) {
      unknownHits.increment();
      Entry absent = new Entry(Future.succeededFuture(Optional.empty()), now);
      cache.put(id, absent);
      return absent.app();
    }
    long epoch = unknown == null ? 0 : unknown.epoch();
    loads.increment();
    Future<Optional<App>> loading = loader.apply(id).map(Optional::ofNullable);
    Entry fresh = new Entry(loading, now);
    cache.put(id, fresh);
    loading.onFailure(ignored -> cache.remove(id, fresh));
    loading.onSuccess(found -> {
      if (unknown != null && found.isEmpty() && cache.get(id) == fresh) {
        unknown.remember(id, epoch, System.currentTimeMillis());
      }
    });
    return loading;
  }

  public void forget(UUID id) {
    cache.remove(id);
    if (unknown != null) {
      unknown.forget(id);
    }
  }

  /**
   * Makes this directory forget apps as soon as any verticle of this process announces a change (all of them when
   * changes may have been missed), and the process's {@link KnownApps} a deleted one (not served to an address
   * refused for unknown ids).
   */
  public void listen(Vertx vertx) {
    KnownApps known = KnownApps.of(vertx);
    Bus.listen(vertx, Bus.APP_CHANGES_MISSED, missed -> {
      cache.clear();
      if (unknown != null) {
        unknown.forgetAll();
      }
    });
    Bus.listen(vertx, Bus.APP_CHANGED, changed -> {
      forget(changed.appId());
      if ("deleted".equals(changed.change())) {
        known.forget(changed.appId()); // any other change leaves the app there, and in use
      }
    });
  }

  /** Tells every verticle of this process that an app's secret, keys, settings or existence changed. */
  public static void announce(Vertx vertx, UUID appId, String change) {
    Bus.publish(vertx, Bus.APP_CHANGED, new AppMessages.Changed(appId, change));
  }

  /** The one answer to every failed client authentication. */
  public static ApiException invalidClient() {
    return new ApiException(ErrorCode.INVALID_CLIENT, "app_id or app_secret is missing or wrong");
  }

  public static UUID parseUuid(String text) {
    if (text == null || text.length() != 36) {
      return null;
    }
    try {
      UUID id = UUID.fromString(text);
      // UUID.fromString also takes misplaced dashes, a sign, overflowing groups: only the canonical text names it.
      return id.toString().equalsIgnoreCase(text) ? id : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
