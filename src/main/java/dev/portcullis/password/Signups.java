package dev.portcullis.password;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.license.DeviceBinding;
import dev.portcullis.otp.Identity;
import dev.portcullis.otp.OtpCodes;
import dev.portcullis.user.UserChanges;
import dev.portcullis.user.UserPasswords;
import dev.portcullis.user.UserRepository;
import dev.portcullis.core.messages.PasswordMessages.Pending;
import dev.portcullis.core.messages.PasswordMessages.Resend;
import dev.portcullis.core.messages.PasswordMessages.Signup;
import dev.portcullis.core.messages.PasswordMessages.Verify;
import dev.portcullis.core.messages.TokenMessages;
import dev.portcullis.core.messages.TokenMessages.Grant;
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
  private final PasswordHasher hashing;
  private final Challenges challenges;
  private final VerificationCodes codes;
  private final PasswordStore store;
  private final OtpCodes names;
  private final Bus bus;
  private final AuditLog audit;
  private final PasswordMetrics metrics;
  private final UserChanges changes;
  private final DeviceBinding devices;

  public Signups(AppDirectory apps, UserRepository users, UserPasswords passwords, PasswordHasher hashing,
                 Challenges challenges, VerificationCodes codes, PasswordStore store, OtpCodes names, Bus bus,
                 AuditLog audit, PasswordMetrics metrics, UserChanges changes, DeviceBinding devices) {
    this.changes = changes;
    this.devices = devices;
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

  /** {@code PASSWORD_SIGNUP}: the 202 body. */
  public Future<Pending> signup(Signup message) {
    Identity identity = Identity.of(message.email(), message.phone());
    String password = PasswordRequest.password("password", message.password());
    return PasswordRequest.of(apps, message.appId(), message).compose(request -> {
      App app = request.app();
      try {
        PasswordPolicy.of(app.settings()).check("password", password, identity);
      } catch (ApiException weak) {
        metrics.weak();
        throw weak;
      }
      if (app.settings().requireTermsAcceptance() && !message.termsAccepted()) {
        throw ApiException.invalid("terms_accepted", "must be true: this app requires accepting its terms");
      }
      return challenges.check(request.challenge("signup", identity), message.challengeToken(), message.powSolution())
          .compose(passed -> hashing.hash(request.appId(), password))
          .compose(hash -> passwords.find(app.id(), PasswordRequest.column(identity), identity.value())
              .compose(existing -> existing != null
                  ? notifyExisting(request, identity, existing.user().id())
                  : keepPending(request, identity, hash, message.profile(), message.termsAccepted())));
    });
  }

  /** {@code PASSWORD_VERIFY}: the token response, the user made (or found) and its identity verified. */
  public Future<Grant> verify(Verify message) {
    String code = PasswordRequest.required("code", message.code());
    UUID verificationId = AppDirectory.parseUuid(PasswordRequest.required("verification_id", message.verificationId()));
    return PasswordRequest.of(apps, message.appId(), message).compose(request -> {
      if (verificationId == null) {
        return Future.failedFuture(VerificationCodes.expired());
      }
      return codes.verify(request.appId(), VerificationCodes.Purpose.SIGNUP, verificationId.toString(), code,
              request.requestId(), request.clientIp())
          .compose(identity -> beforeFirstUser(request, identity, message))
          .compose(identity -> store.takePendingSignup(request.appId(), names.identityName(request.appId(), identity),
                  verificationId.toString())
              .compose(pending -> pending != null ? Future.succeededFuture(pending) : superseded(request, identity))
              .compose(pending -> complete(request, identity, verificationId.toString(), pending, message)));
    });
  }

  /**
   * A right code with no pending signup of its own: fine for a user who exists unverified (made by an admin, a resend
   * sent the code), but for an identity with no user the signup moved on to a newer verification (a resend, a
   * second signup), which alone carries the password: this one is expired, or it would make a user without it.
   */
  private Future<JsonObject> superseded(PasswordRequest request, Identity identity) {
    return passwords.find(request.appId(), PasswordRequest.column(identity), identity.value())
        .compose(existing -> existing != null ? Future.succeededFuture(null)
            : Future.failedFuture(VerificationCodes.expired()));
  }

  /**
   * What refuses a verification of an identity without a user before the pending signup is taken or a user made
   * (a resend by identity, then a verify without it, still applies the password): a tenant (a new identity is a
   * member of none), a device key the login cannot bind. A user found goes on; binding checks it once known.
   */
  private Future<Identity> beforeFirstUser(PasswordRequest request, Identity identity, Verify message) {
    if (message.tenantId() == null && message.deviceId() == null) {
      return Future.succeededFuture(identity);
    }
    return passwords.find(request.appId(), PasswordRequest.column(identity), identity.value()).compose(existing -> {
      if (existing != null) {
        return Future.succeededFuture(identity);
      }
      if (message.tenantId() != null) {
        return Future.failedFuture(ApiException.notTenantMember());
      }
      return devices.precheck(request.appId(), message.deviceId(), message.licenseKey()).map(identity);
    });
  }

  /** {@code PASSWORD_RESEND}: a new code for a pending verification or an identity. */
  public Future<Pending> resend(Resend message) {
    return PasswordRequest.of(apps, message.appId(), message).compose(request -> {
      String given = message.verificationId();
      if (given == null) {
        return resendTo(request, Identity.of(message.email(), message.phone()), null);
      }
      UUID verificationId = AppDirectory.parseUuid(given);
      if (verificationId == null) {
        return Future.failedFuture(VerificationCodes.expired());
      }
      String resent = verificationId.toString();
      return codes.peek(request.appId(), VerificationCodes.Purpose.SIGNUP, resent)
          .compose(identity -> identity == null
              ? Future.failedFuture(VerificationCodes.expired())
              : resendTo(request, identity, resent));
    });
  }

  /**
   * A new code for a pending signup, or for a user whose identity is not verified yet (made by an admin, say);
   * for anyone else the same answer, the same limits, and nothing sent.
   */
  private Future<Pending> resendTo(PasswordRequest request, Identity identity, String resent) {
    App app = request.app();
    String identityName = names.identityName(app.id(), identity);
    long ttlMs = app.settings().otpTtl() * 1000L;
    // A resend of a verification id whose signup a newer one replaced, or by identity of a signup that replaced
    // another, sends nothing (its code would carry whoever signed up last's password, a stranger's perhaps), with
    // the same answer as for anyone else: no telling whether an account exists.
    return store.pendingSignupOf(app.id(), identityName)
        .map(pending -> pending != null
            && (resent == null ? !pending.contested() : pending.verificationId().equals(resent)))
        .compose(ownPending -> passwords.find(app.id(), PasswordRequest.column(identity), identity.value())
            .map(user -> ownPending || user != null && !user.verified(PasswordRequest.column(identity))))
        .compose(deliver -> codes.send(new VerificationCodes.Send(app, identity, request.network(),
            VerificationCodes.Purpose.SIGNUP,
            deliver ? VerificationCodes.Delivery.CODE : VerificationCodes.Delivery.NONE, null, request.requestId(),
            request.clientIp())))
        .compose(sent -> store.rebindPendingSignup(app.id(), identityName, sent.id(), ttlMs, resent).map(sent))
        .map(Signups::answer);
  }

  private Future<Pending> keepPending(PasswordRequest request, Identity identity, String hash, JsonObject profile,
                                         boolean termsAccepted) {
    App app = request.app();
    return codes.send(new VerificationCodes.Send(app, identity, request.network(), VerificationCodes.Purpose.SIGNUP,
            VerificationCodes.Delivery.CODE, null, request.requestId(), request.clientIp()))
        .compose(sent -> store.putPendingSignup(app.id(), names.identityName(app.id(), identity), new JsonObject()
                    .put("password_hash", hash)
                    .put("profile", profile)
                    .put("terms_accepted_at", termsAccepted ? OffsetDateTime.now(ZoneOffset.UTC).toString() : null)
                    .put("verification_id", sent.id()),
                app.settings().otpTtl() * 1000L)
            .compose(kept -> recordRequested(request, identity, sent, null))
            .map(recorded -> answer(sent)));
  }

  private Future<Pending> notifyExisting(PasswordRequest request, Identity identity, UUID userId) {
    App app = request.app();
    String notice = "Someone asked to create a " + app.name().replaceAll("\\p{Cntrl}", " ").trim()
        + " account with this " + (identity.kind() == Identity.Kind.EMAIL ? "email address" : "phone number")
        + ", which already has one. If it was you, sign in, or reset your password if you forgot it. "
        + "If it was not you, you can ignore this message.";
    return codes.send(new VerificationCodes.Send(app, identity, request.network(), VerificationCodes.Purpose.SIGNUP,
            VerificationCodes.Delivery.NOTICE, notice, request.requestId(), request.clientIp()))
        .compose(sent -> recordRequested(request, identity, sent, userId).map(recorded -> answer(sent)));
  }

  private Future<Void> recordRequested(PasswordRequest request, Identity identity, VerificationCodes.Issued sent, UUID existingUser) {
    metrics.signup("requested");
    return audit.record(AuditEvent.of(AuditEvent.SIGNUP_REQUESTED, request.appId(), request.requestId(),
            request.clientIp())
        .withUser(existingUser)
        .with(identity.kind().field(), identity.masked())
        .with("verification_id", sent.id())
        .with("existing_account", existingUser != null));
  }

  /** The code was right: the user is made (or found) with the pending password, verified, and signed in. */
  private Future<Grant> complete(PasswordRequest request, Identity identity, String verificationId,
                                 JsonObject pending, Verify message) {
    String column = PasswordRequest.column(identity);
    // The identity of a user found is marked verified by the statement that finds it.
    return users.findOrCreate(request.appId(), PasswordRequest.email(identity), PasswordRequest.phone(identity),
            // A pending password applies only to the user this code makes: a user made meanwhile (by an admin, an OTP
            // login) keeps what it has, or a stranger's signup could set the password of an account it does not own.
            (conn, found) -> pending == null || !found.created() ? Future.succeededFuture(found)
                : UserPasswords.completeSignup(conn, found.user().id(), column, pending.getString("password_hash"),
                    pending.getJsonObject("profile"), terms(pending)).map(found))
        .compose(found -> {
          UUID userId = found.user().id();
          boolean withPassword = pending != null && found.created();
          // /auth/me of the user's live sessions shows the verified identity at once
          return changes.changed(userId).compose(done -> {
            metrics.signup("verified");
            List<AuditEvent> events = new ArrayList<>();
            events.add(AuditEvent.of(AuditEvent.IDENTITY_VERIFIED, request.appId(), request.requestId(),
                    request.clientIp())
                .withUser(userId)
                .with("channel", identity.kind().channel())
                .with("verification_id", verificationId)
                .with("password_set", withPassword));
            if (found.created()) {
              events.add(AuditEvent.of(AuditEvent.USER_CREATED, request.appId(), request.requestId(),
                      request.clientIp())
                  .withUser(userId)
                  .with(identity.kind().field(), identity.masked()));
            }
            Future<Void> audited = audit.record(events);
            TokenMessages.Issue login = request.issue(userId, found.created(), message.tenantId());
            // A session on a licensed device, as a login's: bound only when the device's license key proves it.
            Future<Grant> issued = devices.bind(login, message.deviceId(), message.licenseKey())
                .compose(bound -> bus.request(Bus.TOKEN_ISSUE, bound));
            return PasswordRequest.afterAudit(audited, issued);
          });
        });
  }

  private static OffsetDateTime terms(JsonObject pending) {
    String at = pending.getString("terms_accepted_at");
    return at == null ? null : OffsetDateTime.parse(at);
  }

  private static Pending answer(VerificationCodes.Issued sent) {
    return new Pending(sent.id(), sent.channel(), sent.expiresIn(), sent.resendAfter());
  }
}
