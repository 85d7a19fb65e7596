package dev.portcullis.core;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.spi.context.storage.ContextLocal;

/**
 * The request id of the work running now, kept on the Vert.x context rather than in a thread-local: each HTTP
 * request and each event-bus message runs on its own duplicated context, which follows every async hop of
 * that request and no other, whereas an event-loop thread interleaves many requests. {@link
 * RequestIdTurboFilter} copies it into the logging MDC of each log line.
 */
public final class RequestContext {

  /** Registered before the first Vert.x instance is built ({@code GatewayVertx} loads this class first). */
  private static final ContextLocal<String> REQUEST_ID = register();

  private RequestContext() {
  }

  private static ContextLocal<String> register() {
    try {
      return ContextLocal.registerLocal(String.class);
    } catch (RuntimeException tooLate) {
      return null;
    }
  }

  /** Loads this class, registering its context local; call before building a Vert.x instance. */
  public static void init() {
    // the static initializer did the work
  }

  /** Binds {@code requestId} to the current (duplicated) context: every log line of its work carries it. */
  public static void bind(String requestId) {
    Context context = Vertx.currentContext();
    if (REQUEST_ID == null || context == null || requestId == null) {
      return;
    }
    try {
      REQUEST_ID.put(context, requestId);
    } catch (RuntimeException unknownLocal) {
      // a Vert.x instance built before the local was registered has no slot for it: no id in its logs
    }
  }

  /**
   * The same result, with the caller's request id bound again where it arrives. A client's reply (Redis,
   * Postgres) comes on the context of the connection it was sent on, which may be the context of whichever
   * request opened that connection; what runs after the reply, and the lines it logs, would carry that id.
   */
  public static <T> Future<T> carried(Future<T> reply) {
    String requestId = currentId();
    return requestId == null ? reply : reply.andThen(done -> bind(requestId));
  }

  /** The request id of the work running on this thread now, or null. */
  public static String currentId() {
    Context context = Vertx.currentContext();
    if (REQUEST_ID == null || context == null) {
      return null;
    }
    try {
      return REQUEST_ID.get(context);
    } catch (RuntimeException unknownLocal) {
      return null;
    }
  }
}
