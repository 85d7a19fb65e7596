package dev.portcullis.otp;

import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The operator's SMS ceilings above every client app's own budgets: one owner's SMS across all their apps
 * ({@code PORTCULLIS_SMS_MAX_SENDS_PER_HOUR_PER_OWNER}; an owner with 20 apps could otherwise spend 20 apps'
 * ceilings) and all client apps' together ({@code PORTCULLIS_SMS_MAX_SENDS_PER_HOUR}, what the operator's SMS
 * provider account may spend on them). A send is refused at once while one is spent ({@link #spent}), and takes its
 * place in each only once the app's own limits have taken it ({@link OtpStore#send}), so only sends that go out
 * spend them. The console is left to its own budgets: anyone may ask it for a code, and its requests for
 * identities that are no owners send nothing. Each ceiling's counters are keys of a hash slot of their own (the
 * owner's, the gateway's), so each ceiling is its own script call.
 *
 * <p>Anonymous sends (the hosted pages, which anyone who knows an app id may post) spend at most half of each
 * ceiling, rounded down (a ceiling of 1 leaves them none), as {@code HostedSmsBudget} keeps half of each app's
 * budget: otherwise strangers sending codes to numbers they chose spent the owner's whole ceiling through the pages
 * (every app's backend of that owner then got 429 for the hour), or the gateway's (every owner's). Such a send
 * counts on the ceiling's counter and on the strangers' share beside it, both in one script call (taken and given
 * back together); the backend's sends count on the ceiling's counter only, so the whole ceiling stays theirs and the
 * strangers' share never takes more than half of it. And the strangers at one owner's pages take at most a quarter of
 * the gateway's share (at least one send): one tenant's hosted page under attack spent it all, and every other
 * tenant's pages could send no SMS for the hour (h58).
 */
final class OperatorSmsBudget {

  /** A limit of 0: no ceiling. */
  static final int NONE = 0;
  static final String OWNER_HOURLY = "sms_owner_hourly";
  static final String GATEWAY_HOURLY = "sms_gateway_hourly";
  /** The anonymous sends' share of a ceiling is spent (the ceiling itself may not be). */
  static final String OWNER_ANONYMOUS_HOURLY = "sms_owner_anonymous_hourly";
  static final String GATEWAY_ANONYMOUS_HOURLY = "sms_gateway_anonymous_hourly";
  /** The part of the gateway's anonymous share one owner's pages may take is spent. */
  static final String GATEWAY_OWNER_ANONYMOUS_HOURLY = "sms_gateway_owner_anonymous_hourly";

  private static final long HOUR_MS = 3_600_000;
  private static final long BUCKET_MS = 60_000;
  /**
   * Sliding hours of one-minute buckets: fixed windows, each from its own first send, let strangers past half (h59).
   */
  private static final RedisScript RESERVE = RedisScript.load("sliding-reserve.lua");
  private static final RedisScript RELEASE = RedisScript.load("sliding-release.lua");

  /** Room under every ceiling (or a place taken), or the ceiling that refuses a send and how long it stays shut. */
  record Reservation(String refusedFor, long retryAfterMs) {

    boolean refused() {
      return refusedFor != null;
    }
  }

  private static final Reservation ROOM = new Reservation(null, 0);

  /** One sliding hour of a ceiling: its key, its limit, and the reason a send it refuses is given. */
  private record Counter(String key, int limit, String reason) {
  }

  /** One ceiling's counters, all in one hash slot: the ceiling's own, and for an anonymous send its share. */
  private record Ceiling(List<Counter> counters) {

    List<String> keys() {
      return counters.stream().map(Counter::key).toList();
    }

    /** The arguments of sliding-reserve.lua: each counter's limit, the window and bucket in ms, and the mode. */
    List<String> args(String mode) {
      List<String> args = new ArrayList<>();
      counters.forEach(counter -> args.add(Integer.toString(counter.limit())));
      args.add(Long.toString(HOUR_MS));
      args.add(Long.toString(BUCKET_MS));
      args.add(mode);
      return args;
    }

    /** Room, or the refusal a script answered: {0, ms until a place is free again, its index in KEYS from 1}. */
    Reservation outcome(Response reply) {
      return reply.get(0).toInteger() == 1 ? ROOM
          : new Reservation(counters.get(reply.get(2).toInteger() - 1).reason(), reply.get(1).toLong());
    }
  }

  private final RedisStore redis;

  OperatorSmsBudget(RedisStore redis) {
    this.redis = redis;
  }

  /**
   * The ceilings that apply to an SMS of that owner's app (a null owner: none of the owner's); {@code anonymous}: the
   * send was asked for on a hosted page, and meets each ceiling's anonymous share too.
   */
  private List<Ceiling> ceilings(UUID ownerId, UUID appId, int ownerLimit, int gatewayLimit, boolean anonymous) {
    List<Ceiling> ceilings = new ArrayList<>();
    if (ownerId != null && ownerLimit != NONE) {
      String tag = "{" + ownerId + "}";
      ceilings.add(ceiling(new Counter(redis.key("sms-owner-hour", tag), ownerLimit, OWNER_HOURLY),
          new Counter(redis.key("sms-owner-anon-hour", tag), half(ownerLimit), OWNER_ANONYMOUS_HOURLY), anonymous));
    }
    if (gatewayLimit != NONE) {
      String tag = "{sms-gateway}";
      Counter whole = new Counter(redis.key("sms-gateway-hour", tag), gatewayLimit, GATEWAY_HOURLY);
      Counter share = new Counter(redis.key("sms-gateway-anon-hour", tag), half(gatewayLimit),
          GATEWAY_ANONYMOUS_HOURLY);
      if (anonymous) {
        // The owner's part of the share: a key of the gateway's hash slot, so that one script call takes all three.
        // An app the operator made has no owner, and is a part of its own (h62: its pages took the whole share).
        String part = ownerId != null ? ownerId.toString() : "app-" + appId;
        Counter ownersPart = new Counter(redis.key("sms-gateway-anon-hour", tag, part),
            ownerPart(half(gatewayLimit)), GATEWAY_OWNER_ANONYMOUS_HOURLY);
        ceilings.add(new Ceiling(List.of(whole, share, ownersPart)));
      } else {
        ceilings.add(ceiling(whole, share, anonymous));
      }
    }
    return ceilings;
  }

  private static Ceiling ceiling(Counter whole, Counter anonymousShare, boolean anonymous) {
    return new Ceiling(anonymous ? List.of(whole, anonymousShare) : List.of(whole));
  }

  /** A quarter of the gateway's anonymous share, at least one send (none when the share is none). */
  private static int ownerPart(int share) {
    return share == 0 ? 0 : Math.max(1, share / 4);
  }

  /** Half, rounded down: a ceiling of 1 leaves anonymous sends none, and the backends their one. */
  private static int half(int limit) {
    return limit / 2;
  }

  /**
   * Whether a ceiling (or, for an anonymous send, its share) is spent already, taking nothing: a send it would refuse
   * is then refused before the app's own limits count it or it replaces the identity's pending code.
   */
  Future<Reservation> spent(UUID ownerId, UUID appId, int ownerLimit, int gatewayLimit, boolean anonymous) {
    List<Future<Reservation>> peeks = new ArrayList<>();
    for (Ceiling ceiling : ceilings(ownerId, appId, ownerLimit, gatewayLimit, anonymous)) {
      peeks.add(RESERVE.run(redis, ceiling.keys(), ceiling.args("peek")).map(ceiling::outcome));
    }
    return Future.all(peeks).map(all -> peeks.stream().map(Future::result).filter(Reservation::refused).findFirst()
        .orElse(ROOM));
  }

  /** Takes a place under each ceiling (and anonymous share) that applies to an SMS of that owner's app, or none. */
  Future<Reservation> reserve(UUID ownerId, UUID appId, int ownerLimit, int gatewayLimit, boolean anonymous) {
    return reserve(ceilings(ownerId, appId, ownerLimit, gatewayLimit, anonymous), 0, new ArrayList<>());
  }

  /** A place a send took under a ceiling: the minute's bucket it is given back to. */
  private record Taken(Ceiling ceiling, String bucket) {
  }

  private Future<Reservation> reserve(List<Ceiling> ceilings, int next, List<Taken> taken) {
    if (next == ceilings.size()) {
      return Future.succeededFuture(ROOM);
    }
    Ceiling ceiling = ceilings.get(next);
    return RESERVE.run(redis, ceiling.keys(), ceiling.args("reserve"))
        .recover(failure -> release(taken).transform(ignored -> Future.failedFuture(failure)))
        .compose(reply -> {
          Reservation outcome = ceiling.outcome(reply);
          if (!outcome.refused()) {
            taken.add(new Taken(ceiling, reply.get(2).toString()));
            return reserve(ceilings, next + 1, taken);
          }
          return release(taken).map(released -> outcome);
        });
  }

  /**
   * Gives back the places a send took before another ceiling refused it, each ceiling's counters in one call; never
   * fails (a lost one is an hour's).
   */
  private Future<Void> release(List<Taken> places) {
    if (places.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Future<?>> released = new ArrayList<>();
    for (Taken place : places) {
      released.add(RELEASE.run(redis, place.ceiling().keys(), List.of(place.bucket())));
    }
    return Future.join(released).<Void>mapEmpty().otherwiseEmpty();
  }
}
