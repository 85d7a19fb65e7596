package dev.portcullis.user;

import dev.portcullis.app.App;
import dev.portcullis.core.ApiException;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;

/**
 * How the admin API turns the {@code password} of a user it creates into the hash it stores: the password
 * capability provides the implementation (policy check, then Argon2id on its bounded worker pool). The
 * repository stores whatever PHC string this answers; a user created without a password has none.
 */
@FunctionalInterface
public interface PasswordHashing {

  /** A gateway without the password capability refuses passwords rather than storing something unchecked. */
  PasswordHashing UNAVAILABLE = (app, password, identity) -> Future.failedFuture(
      ApiException.invalid("password", "passwords are not enabled on this gateway; create the user without one"));

  /** The PHC string of an acceptable password for this identity, or a failure such as {@code 400 weak_password}. */
  Future<String> hash(App app, String password, Identity identity);
}
