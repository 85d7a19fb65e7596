package dev.portcullis.core;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/** A Lua script kept as a resource under {@code redis/}, called by SHA and loaded on the first NOSCRIPT. */
public final class RedisScript {

  private final String source;
  private final String sha;

  private RedisScript(String source) {
    this.source = source;
    this.sha = sha1(source);
  }

  public static RedisScript load(String name) {
    try (InputStream in = RedisScript.class.getResourceAsStream("/redis/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing script redis/" + name);
      }
      return new RedisScript(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Future<Response> run(RedisStore redis, List<String> keys, List<String> args) {
    return redis.sendDecision(keys.get(0), build(Command.EVALSHA, sha, keys, args))
        .recover(failure -> isNoScript(failure)
            ? redis.sendDecision(keys.get(0), build(Command.EVAL, source, keys, args))
            : Future.failedFuture(failure));
  }

  /** One call of this script to pipeline with others: EVALSHA, or EVAL with the source when {@code withSource}. */
  public Request call(boolean withSource, List<String> keys, List<String> args) {
    return withSource ? build(Command.EVAL, source, keys, args) : build(Command.EVALSHA, sha, keys, args);
  }

  /**
   * Pipelines the requests {@code build} makes (given whether script calls carry their source); when Redis did
   * not know a script yet (a restarted or new node), once more with the sources. The calls of the first attempt
   * that Redis did run are run twice then, which only a counter notices, by one batch, once per node start.
   */
  public static Future<List<Response>> pipeline(RedisStore redis, Function<Boolean, List<Request>> build) {
    return redis.batch(build.apply(false))
        .recover(failure -> isNoScript(failure) ? redis.batch(build.apply(true)) : Future.failedFuture(failure));
  }

  private static Request build(Command command, String script, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(script).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }

  private static boolean isNoScript(Throwable failure) {
    return RedisStore.isError(failure, "NOSCRIPT");
  }

  private static String sha1(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
