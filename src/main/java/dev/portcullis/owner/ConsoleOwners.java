package dev.portcullis.owner;

import dev.portcullis.app.App;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.core.messages.TokenMessages.Introspect;
import dev.portcullis.http.OwnerAuthenticator;
import io.vertx.core.Future;
import java.util.UUID;

/**
 * Owners are the users of the console app: a bearer token is an owner's when the Token verticle introspects
 * it as a live console access token. Tokens of client apps are refused like bad ones.
 */
public final class ConsoleOwners implements OwnerAuthenticator {

  private final Bus bus;

  public ConsoleOwners(Bus bus) {
    this.bus = bus;
  }

  @Override
  public Future<UUID> ownerOf(String accessToken, String requestId, String callerIp) {
    return bus.request(Bus.TOKEN_INTROSPECT, new Introspect(accessToken, App.CONSOLE_ID, requestId, callerIp))
        .recover(failure -> {
          ApiException api = Failures.toApi(failure);
          int status = api.code().status();
          // 429: the caller's address named too many made-up keys (with its Retry-After)
          boolean passOn = status == 401 || status == 429 || status >= 500;
          return Future.failedFuture(passOn ? api : notValid());
        })
        .compose(reply -> App.CONSOLE_ID.equals(reply.appId()) && reply.userId() != null
            ? Future.succeededFuture(reply.userId())
            : Future.failedFuture(notValid()));
  }

  private static ApiException notValid() {
    return new ApiException(ErrorCode.INVALID_TOKEN, "the bearer token is neither the admin key nor an owner's access token");
  }
}
