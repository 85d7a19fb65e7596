package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.audit.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.otp.Identity;
import dev.portcullis.otp.OtpCodes;
import dev.portcullis.user.UserPasswords;
import dev.portcullis.user.UserRepository;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code PASSWORD_SIGNUP}, {@code PASSWORD_VERIFY} and {@code PASSWORD_RESEND}. A signup makes no user: it
 * keeps the password's hash in Redis beside a verification code, and only the code makes the user, so nobody
 * can plant a password on an identity they do not control. A signup for an identity that already has an
 * account does the same work and answers the same, but stores nothing and sends that identity a notice.
 */
public final class Signups {

  private final AppDirectory apps;
  private final UserRepository users;
  private final UserPasswords passwords;
  private final PasswordHashing hashing;
  private final Challenges challenges;
  private final VerificationCodes codes;
  private final PasswordStore store;
  private final OtpCodes names;
  private final Bus bus;
  private final AuditLog audit;
  private final PasswordMetrics metrics;

  public Signups(AppDirectory apps, UserRepository users, UserPasswords passwords, PasswordHashing hashing,
                 Challenges challenges, VerificationCodes codes, PasswordStore store, OtpCodes names, Bus bus,
                 AuditLog audit, PasswordMetrics metrics) {
    this.apps = apps;
    this.users = users;
    this.passwords = passwords;
    this.hashing = hashing;
    this.challenges = challenges;
    this.codes = codes;
    this.store = store;
    this.names = names;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
  }

  /** {email | phone, password, challenge_token?, pow_solution?, profile?, terms_accepted?} → 202 body. */
  public Future<JsonObject> signup(JsonObject body) {
    return PasswordRequest.of(apps, body).compose(request -> {
      App app = request.app();
      Identity identity = request.identity();
      String password = PasswordPolicy.normalise(request.required("password"));
      try {
        PasswordPolicy.of(app.settings()).check("password", password, identity);
      } catch (ApiException weak) {
        metrics.weak();
        throw weak;
      }
      boolean termsAccepted = Boolean.TRUE.equals(body.getBoolean("terms_accepted"));
      if (app.settings().requireTermsAcceptance() && !termsAccepted) {
        throw ApiException.invalid("terms_accepted", "must be true: this app requires accepting its terms");
      }
      JsonObject profile = body.getJsonObject("profile");
      return challenges.check(request.challenge("signup", identity), request.string("challenge_token"),
              request.string("pow_solution"))
          .compose(passed -> hashing.hash(password))
          .compose(hash -> passwords.find(app.id(), PasswordRequest.column(identity), identity.value())
              .compose(existing -> existing != null
                  ? notifyExisting(request, identity, existing.user().id())
                  : keepPending(request, identity, hash, profile, termsAccepted)));
    });
  }

  /** {verification_id, code, tenant_id?} → token response, the user made (or found) and its identity verified. */
  public Future<JsonObject> verify(JsonObject body) {
    return PasswordRequest.of(apps, body).compose(request -> {
      String code = request.required("code");
      UUID verificationId = AppDirectory.parseUuid(request.required("verification_id"));
      if (verificationId == null) {
        return Future.failedFuture(VerificationCodes.expired());
      }
      return codes.verify(request.appId(), VerificationCodes.Purpose.SIGNUP, verificationId.toString(), code,
              request.requestId(), request.clientIp())
          .compose(identity -> store.takePendingSignup(request.appId(), names.identityName(request.appId(), identity))
              .compose(pending -> complete(request, identity, verificationId.toString(), pending)));
    });
  }

  /** {verification_id | email | phone} → {verification_id, channel, expires_in, resend_after}. */
  public Future<JsonObject> resend(JsonObject body) {
    return PasswordRequest.of(apps, body).compose(request -> {
      String given = request.string("verification_id");
      if (given == null) {
        return resendTo(request, request.identity());
      }
      UUID verificationId = AppDirectory.parseUuid(given);
      if (verificationId == null) {
        return Future.failedFuture(VerificationCodes.expired());
      }
      return codes.peek(request.appId(), VerificationCodes.Purpose.SIGNUP, verificationId.toString())
          .compose(identity -> identity == null
              ? Future.failedFuture(VerificationCodes.expired())
              : resendTo(request, identity));
    });
  }

  /**
   * A new code for a pending signup, or for a user whose identity is not verified yet (made by an admin, say);
   * for anyone else the same answer, the same limits, and nothing sent.
   */
  private Future<JsonObject> resendTo(PasswordRequest request, Identity identity) {
    App app = request.app();
    String identityName = names.identityName(app.id(), identity);
    long ttlMs = app.settings().otpTtl() * 1000L;
    return store.extendPendingSignup(app.id(), identityName, ttlMs)
        .compose(pending -> passwords.find(app.id(), PasswordRequest.column(identity), identity.value())
            .map(user -> pending || user != null && !user.verified(PasswordRequest.column(identity))))
        .compose(deliver -> codes.send(new VerificationCodes.Send(app, identity, request.network(),
            VerificationCodes.Purpose.SIGNUP,
            deliver ? VerificationCodes.Delivery.CODE : VerificationCodes.Delivery.NONE, null, request.requestId(),
            request.clientIp())))
        .map(Signups::answer);
  }

  private Future<JsonObject> keepPending(PasswordRequest request, Identity identity, String hash, JsonObject profile,
                                         boolean termsAccepted) {
    App app = request.app();
    JsonObject pending = new JsonObject()
        .put("password_hash", hash)
        .put("profile", profile)
        .put("terms_accepted_at", termsAccepted ? OffsetDateTime.now(ZoneOffset.UTC).toString() : null);
    return codes.send(new VerificationCodes.Send(app, identity, request.network(), VerificationCodes.Purpose.SIGNUP,
            VerificationCodes.Delivery.CODE, null, request.requestId(), request.clientIp()))
        .compose(sent -> store.putPendingSignup(app.id(), names.identityName(app.id(), identity), pending,
                app.settings().otpTtl() * 1000L)
            .compose(kept -> recordRequested(request, identity, sent, null))
            .map(recorded -> answer(sent)));
  }

  private Future<JsonObject> notifyExisting(PasswordRequest request, Identity identity, UUID userId) {
    App app = request.app();
    String notice = "Someone asked to create a " + app.name().replaceAll("\\p{Cntrl}", " ").trim()
        + " account with this " + (identity.kind() == Identity.Kind.EMAIL ? "email address" : "phone number")
        + ", which already has one. If it was you, sign in, or reset your password if you forgot it. "
        + "If it was not you, you can ignore this message.";
    return codes.send(new VerificationCodes.Send(app, identity, request.network(), VerificationCodes.Purpose.SIGNUP,
            VerificationCodes.Delivery.NOTICE, notice, request.requestId(), request.clientIp()))
        .compose(sent -> recordRequested(request, identity, sent, userId).map(recorded -> answer(sent)));
  }

  private Future<Void> recordRequested(PasswordRequest request, Identity identity, JsonObject sent, UUID existingUser) {
    metrics.signup("requested");
    return audit.record(AuditEvent.of(AuditEvent.SIGNUP_REQUESTED, request.appId(), request.requestId(),
            request.clientIp())
        .withUser(existingUser)
        .with(identity.kind().field(), identity.masked())
        .with("verification_id", sent.getString("id"))
        .with("existing_account", existingUser != null));
  }

  /** The code was right: the user is made (or found) with the pending password, verified, and signed in. */
  private Future<JsonObject> complete(PasswordRequest request, Identity identity, String verificationId,
                                      JsonObject pending) {
    String column = PasswordRequest.column(identity);
    return users.findOrCreate(request.appId(), PasswordRequest.email(identity), PasswordRequest.phone(identity))
        .compose(found -> {
          UUID userId = found.user().id();
          Future<Void> stored = pending == null
              ? passwords.markVerified(userId, column)
              : passwords.completeSignup(userId, column, pending.getString("password_hash"),
                  pending.getJsonObject("profile"), terms(pending));
          return stored.compose(done -> {
            metrics.signup("verified");
            List<AuditEvent> events = new ArrayList<>();
            events.add(AuditEvent.of(AuditEvent.IDENTITY_VERIFIED, request.appId(), request.requestId(),
                    request.clientIp())
                .withUser(userId)
                .with("channel", identity.kind().channel())
                .with("verification_id", verificationId)
                .with("password_set", pending != null));
            if (found.created()) {
              events.add(AuditEvent.of(AuditEvent.USER_CREATED, request.appId(), request.requestId(),
                      request.clientIp())
                  .withUser(userId)
                  .with(identity.kind().field(), identity.masked()));
            }
            Future<Void> audited = audit.record(events);
            Future<JsonObject> issued = bus.request(Bus.TOKEN_ISSUE, request.issue(found.user().toJson(),
                found.created()));
            return Future.join(audited, issued)
                .transform(joined -> audited.failed() ? Future.failedFuture(audited.cause()) : issued);
          });
        });
  }

  private static OffsetDateTime terms(JsonObject pending) {
    String at = pending.getString("terms_accepted_at");
    return at == null ? null : OffsetDateTime.parse(at);
  }

  private static JsonObject answer(JsonObject sent) {
    return new JsonObject()
        .put("verification_id", sent.getString("id"))
        .put("channel", sent.getString("channel"))
        .put("expires_in", sent.getInteger("expires_in"))
        .put("resend_after", sent.getInteger("resend_after"));
  }
}
