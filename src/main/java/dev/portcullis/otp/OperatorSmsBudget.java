package dev.portcullis.otp;

import dev.portcullis.core.RedisScript;
import dev.portcullis.core.RedisStore;
import io.vertx.core.Future;
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
 * identities that are no owners send nothing. Each counter is one key in a hash slot of its own (the owner's, the
 * gateway's), so each is its own script call.
 */
final class OperatorSmsBudget {

  /** A limit of 0: no ceiling. */
  static final int NONE = 0;
  static final String OWNER_HOURLY = "sms_owner_hourly";
  static final String GATEWAY_HOURLY = "sms_gateway_hourly";

  private static final long HOUR_MS = 3_600_000;
  private static final RedisScript RESERVE = RedisScript.load("window-reserve.lua");
  private static final RedisScript RELEASE = RedisScript.load("window-release.lua");
  private static final RedisScript PEEK = RedisScript.load("window-peek.lua");

  /** Room under every ceiling (or a place taken), or the ceiling that refuses a send and how long it stays shut. */
  record Reservation(String refusedFor, long retryAfterMs) {

    boolean refused() {
      return refusedFor != null;
    }
  }

  private record Ceiling(String key, int limit, String reason) {

    /** The arguments of the window scripts: the limit, and the window in ms. */
    List<String> args() {
      return List.of(Integer.toString(limit), Long.toString(HOUR_MS));
    }
  }

  private final RedisStore redis;

  OperatorSmsBudget(RedisStore redis) {
    this.redis = redis;
  }

  /** The ceilings that apply to an SMS of that owner's app (a null owner: none of the owner's). */
  private List<Ceiling> ceilings(UUID ownerId, int ownerLimit, int gatewayLimit) {
    List<Ceiling> ceilings = new ArrayList<>();
    if (ownerId != null && ownerLimit != NONE) {
      ceilings.add(new Ceiling(redis.key("sms-owner", "{" + ownerId + "}"), ownerLimit, OWNER_HOURLY));
    }
    if (gatewayLimit != NONE) {
      ceilings.add(new Ceiling(redis.key("sms-gateway", "{sms-gateway}"), gatewayLimit, GATEWAY_HOURLY));
    }
    return ceilings;
  }

  /**
   * Whether a ceiling is spent already, taking nothing: a send it would refuse is then refused before the app's own
   * limits count it or it replaces the identity's pending code.
   */
  Future<Reservation> spent(UUID ownerId, int ownerLimit, int gatewayLimit) {
    List<Future<Reservation>> peeks = new ArrayList<>();
    for (Ceiling ceiling : ceilings(ownerId, ownerLimit, gatewayLimit)) {
      peeks.add(PEEK.run(redis, List.of(ceiling.key()), ceiling.args())
          .map(reply -> reply.get(0).toInteger() == 1 ? new Reservation(null, 0)
              : new Reservation(ceiling.reason(), reply.get(1).toLong())));
    }
    return Future.all(peeks).map(all -> peeks.stream().map(Future::result).filter(Reservation::refused).findFirst()
        .orElse(new Reservation(null, 0)));
  }

  /** Takes a place under each ceiling that applies to an SMS of that owner's app, or none. */
  Future<Reservation> reserve(UUID ownerId, int ownerLimit, int gatewayLimit) {
    return reserve(ceilings(ownerId, ownerLimit, gatewayLimit), 0, new ArrayList<>());
  }

  private Future<Reservation> reserve(List<Ceiling> ceilings, int next, List<String> taken) {
    if (next == ceilings.size()) {
      return Future.succeededFuture(new Reservation(null, 0));
    }
    Ceiling ceiling = ceilings.get(next);
    return RESERVE.run(redis, List.of(ceiling.key()), ceiling.args())
        .recover(failure -> release(taken).transform(ignored -> Future.failedFuture(failure)))
        .compose(reply -> {
          if (reply.get(0).toInteger() == 1) {
            taken.add(ceiling.key());
            return reserve(ceilings, next + 1, taken);
          }
          return release(taken).map(released -> new Reservation(ceiling.reason(), reply.get(1).toLong()));
        });
  }

  /** Gives back the places a send took before another ceiling refused it; never fails (a lost one is an hour's). */
  private Future<Void> release(List<String> keys) {
    if (keys.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Future<?>> released = new ArrayList<>();
    for (String key : keys) {
      released.add(RELEASE.run(redis, List.of(key), List.of()));
    }
    return Future.join(released).<Void>mapEmpty().otherwiseEmpty();
  }
}
