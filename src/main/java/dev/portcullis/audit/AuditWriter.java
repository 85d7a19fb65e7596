package dev.portcullis.audit;

import dev.portcullis.audit.AuditChainStore.Head;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.ErrorCode;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Writes one batch, all or nothing, each event after the current head of its app's chain.
 *
 * <p>Fast path: when this process committed the last head of every app of the batch, it chains the events
 * from those heads and appends them with one autocommit statement ({@link AuditChainStore#append}) that moves
 * the heads only if none moved since, and inserts the events only with them: one round trip. When another process moved a
 * head, nothing is written and the statement answers the current heads; the batch is chained from those and
 * appended once more. Otherwise (an app this process has not written yet, or a second conflict) the batch is
 * written by the locking transaction: it locks the chain heads of the batch's apps (in app-id order, so
 * writers in other processes wait instead of forking a chain), numbers and hashes the events from the heads
 * it read, inserts them and moves the heads.
 *
 * <p>Each event is linked in the regime of its seq: HMAC under the chain key from its head's recorded
 * {@code keyed_from_seq} on, SHA-256 before ({@link ChainHash}). Every process derives the same key from the
 * master key, so two gateways appending to one chain produce the same links.
 */
final class AuditWriter {

  /**
   * How many times a batch whose append found a head moved is appended again from the heads that answer read,
   * before it takes the locking transaction: with several processes writing one busy app, a second try that
   * lands costs one more round trip, where the locking transaction takes five.
   */
  private static final int APPEND_RETRIES = 1;

  /** Bounds the memory of {@link #knownHeads} and {@link #lastHeads}; forgetting only costs a slower batch. */
  private static final int KNOWN_HEADS_LIMIT = 100_000;

  /** Events placed in their chains, and where that leaves each app's head. */
  private record Chained(List<StoredEvent> events, Map<UUID, Head> heads) {
  }

  /** One try of the fast path: stored, or nothing written and the heads the chains had meanwhile reached. */
  private record Attempt(boolean stored, Map<UUID, Head> currentHeads) {
  }

  private final AuditChainStore store;
  private final AuditMetrics metrics;
  /** Apps whose head row is committed: heads are never deleted, so they need no insert again. */
  private final Set<UUID> knownHeads = new HashSet<>();
  /**
   * The head each app's chain had after this process's last committed batch of it: the fast path's guess. A
   * guess only: another process may have moved it since, which {@link AuditChainStore#append} detects.
   * Forgotten whenever a batch of the app fails, since its outcome is then unknown.
   */
  private final Map<UUID, Head> lastHeads = new HashMap<>();

  /** The chain key ({@link ChainHash#key}): links from each chain's {@code keyed_from_seq} on are HMACs under it. */
  private final byte[] chainKey;

  AuditWriter(AuditChainStore store, AuditMetrics metrics, byte[] chainKey) {
    this.store = store;
    this.chainKey = chainKey.clone();
    this.metrics = metrics;
  }

  /**
   * Stores the events in order, each after the current head of its app; fails as a whole. A staged event
   * ({@link AuditOutbox#isStaged}) may arrive more than once (sent by its request and again by the outbox drain,
   * when the first append outlived the request's wait): it is stored once, its later copies left out.
   */
  Future<Void> write(List<StoredEvent> batch) {
    Map<UUID, StoredEvent> byId = new LinkedHashMap<>();
    batch.forEach(event -> byId.putIfAbsent(event.id(), event));
    List<StoredEvent> events = List.copyOf(byId.values());
    UUID[] staged = events.stream().map(StoredEvent::id).filter(AuditOutbox::isStaged).toArray(UUID[]::new);
    List<UUID> apps = events.stream().map(StoredEvent::appId).distinct().toList();
    Future<Void> written = lastHeads.keySet().containsAll(apps)
        ? append(events, staged, apps, lastHeads, APPEND_RETRIES)
        : writeLocked(events, staged, apps);
    return written.onFailure(failed -> apps.forEach(lastHeads::remove));
  }

  /**
   * Writes a batch whose write failed again, under the heads' locks: a write whose connection was lost may have
   * committed all the same, so each of its events (new ones too) is looked up and left out when stored.
   */
  Future<Void> rewrite(List<StoredEvent> batch) {
    Map<UUID, StoredEvent> byId = new LinkedHashMap<>();
    batch.forEach(event -> byId.putIfAbsent(event.id(), event));
    List<StoredEvent> events = List.copyOf(byId.values());
    List<UUID> apps = events.stream().map(StoredEvent::appId).distinct().toList();
    apps.forEach(lastHeads::remove);
    return writeLocked(events, byId.keySet().toArray(UUID[]::new), apps)
        .onFailure(failed -> apps.forEach(lastHeads::remove));
  }

  private Future<Void> append(List<StoredEvent> events, UUID[] staged, List<UUID> apps, Map<UUID, Head> from,
                              int retries) {
    return appendOnce(events, staged, apps, from).compose(attempt -> {
      if (attempt.stored()) {
        return Future.succeededFuture();
      }
      metrics.conflict();
      apps.forEach(lastHeads::remove);
      return retries > 0 && attempt.currentHeads().keySet().containsAll(apps)
          ? append(events, staged, apps, attempt.currentHeads(), retries - 1)
          : writeLocked(events, staged, apps);
    });
  }

  /** One try of the fast path, chaining the events from the heads {@code from}. */
  private Future<Attempt> appendOnce(List<StoredEvent> events, UUID[] staged, List<UUID> apps, Map<UUID, Head> from) {
    Map<UUID, Head> expected = new LinkedHashMap<>();
    apps.forEach(app -> expected.put(app, from.get(app)));
    Chained chained = chain(events, expected);
    return store.append(expected, chained.heads(), chained.events(), staged).compose(appended -> {
      if (appended.moved() == 0) {
        return Future.succeededFuture(new Attempt(false, appended.current()));
      }
      if (appended.moved() != apps.size() || appended.stored() != events.size()) {
        return Future.failedFuture(new IllegalStateException("audit append moved " + appended.moved() + " of "
            + apps.size() + " heads and stored " + appended.stored() + " of " + events.size() + " events"));
      }
      remember(chained.heads());
      return Future.succeededFuture(new Attempt(true, chained.heads()));
    });
  }

  /**
   * The locking transaction: reads the current heads under lock, so it cannot fork a chain. A staged event already
   * in the log is left out: any earlier copy's append held these locks, so it has committed or left nothing.
   */
  private Future<Void> writeLocked(List<StoredEvent> events, UUID[] staged, List<UUID> apps) {
    List<UUID> newApps = apps.stream().filter(app -> !knownHeads.contains(app)).toList();
    return store.inTransaction(conn -> store.ensureHeads(conn, newApps)
            .compose(v -> store.lockHeads(conn, apps))
            .compose(heads -> {
              if (heads.size() != apps.size()) {
                // Only a head deleted behind the triggers' back gets here; writing on would fork that chain.
                apps.forEach(knownHeads::remove);
                return Future.failedFuture(new ApiException(ErrorCode.INTERNAL_ERROR, "audit chain head missing"));
              }
              return store.alreadyStored(conn, staged).compose(stored -> {
                List<StoredEvent> fresh = events.stream().filter(event -> !stored.contains(event.id())).toList();
                Chained chained = chain(fresh, heads);
                return fresh.isEmpty() ? Future.succeededFuture(chained)
                    : store.insert(conn, chained.events()).compose(v -> store.moveHeads(conn, chained.heads())).map(chained);
              });
            }))
        .map(chained -> {
          remember(chained.heads());
          return null;
        });
  }

  /** Numbers and hashes the events in order, each after the head its app has reached so far. */
  private Chained chain(List<StoredEvent> events, Map<UUID, Head> heads) {
    Map<UUID, Head> moved = new LinkedHashMap<>(heads);
    List<StoredEvent> chained = new ArrayList<>(events.size());
    for (StoredEvent event : events) {
      Head head = moved.get(event.appId());
      StoredEvent placed = event.chained(head.seq() + 1, head.hash(), chainKey, head.keyedFromSeq());
      moved.put(event.appId(), new Head(placed.seq(), placed.hash(), head.keyedFromSeq()));
      chained.add(placed);
    }
    return new Chained(chained, moved);
  }

  private void remember(Map<UUID, Head> heads) {
    if (knownHeads.size() + heads.size() > KNOWN_HEADS_LIMIT) {
      knownHeads.clear();
    }
    if (lastHeads.size() + heads.size() > KNOWN_HEADS_LIMIT) {
      lastHeads.clear();
    }
    knownHeads.addAll(heads.keySet());
    lastHeads.putAll(heads);
  }
}
