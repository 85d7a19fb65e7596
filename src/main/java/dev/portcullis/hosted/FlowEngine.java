package dev.portcullis.hosted;

import dev.portcullis.app.App;
import dev.portcullis.app.AppDirectory;
import dev.portcullis.core.AuditEvent;
import dev.portcullis.audit.AuditLog;
import dev.portcullis.core.ApiException;
import dev.portcullis.core.Bus;
import dev.portcullis.core.Digits;
import dev.portcullis.core.ErrorCode;
import dev.portcullis.core.Failures;
import dev.portcullis.core.ProofOfWork;
import dev.portcullis.core.Secrets;
import dev.portcullis.core.messages.OtpMessages;
import dev.portcullis.http.RequestIds;
import dev.portcullis.http.Requests;
import dev.portcullis.otp.Identity;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hosted page engine: runs a flow's steps (identity, then a password or a code, then the answers the flow
 * asks for) and hands the signed-in user to the flow's {@link FlowKind}. Every step is a plain form post; the
 * flow lives in Redis under the browser's cookie, its id rides in a hidden field, and every form carries the
 * flow's CSRF token.
 */
public final class FlowEngine {

  private static final Logger LOG = LoggerFactory.getLogger(FlowEngine.class);
  /** The same words for an email and a phone sign-in (h69: a phone's user was told of an email address). */
  private static final String WRONG_PASSWORD = "That password is not right for this email address or phone number.";

  public static final String PAGE_SHOWN = "hosted.page_shown";
  public static final String CODE_SENT = "hosted.code_sent";
  public static final String COMPLETED = "hosted.completed";
  /** The epoch second the user proved the identity, in the flow's user once signed in. */
  public static final String AUTH_TIME = "auth_time";

  private static final String GONE = "This sign-in page has expired or was opened elsewhere.";

  private final AppDirectory apps;
  private final FlowStore flows;
  private final BrowserCookie cookie;
  private final Bus bus;
  private final AuditLog audit;
  private final HostedMetrics metrics;
  private final PasswordSignIn passwords;
  private final FlowStarts starts;
  private final HostedSmsBudget smsBudget;
  private final HostedUsers users;
  private final Map<String, FlowKind> kinds = new LinkedHashMap<>();

  public FlowEngine(AppDirectory apps, FlowStore flows, FlowStarts starts, HostedSmsBudget smsBudget,
                    BrowserCookie cookie, Bus bus, AuditLog audit, HostedMetrics metrics, PasswordSignIn passwords,
                    HostedUsers users) {
    this.starts = starts;
    this.smsBudget = smsBudget;
    this.users = users;
    this.apps = apps;
    this.flows = flows;
    this.cookie = cookie;
    this.bus = bus;
    this.audit = audit;
    this.metrics = metrics;
    this.passwords = passwords;
  }

  /** Registers a kind; its flows can then be begun and completed. */
  public FlowEngine register(FlowKind kind) {
    kinds.put(kind.name(), kind);
    return this;
  }

  public BrowserCookie cookie() {
    return cookie;
  }

  /** Starts a flow whose target the kind has verified, in this browser, and shows its first step. */
  public Future<Void> begin(RoutingContext ctx, App app, Flow flow) {
    return begin(ctx, app, flow, null);
  }

  /**
   * The same, recording {@code started} (when not null) once the network's start limit let the flow through, so a
   * stranger over the limit writes no audit row per request.
   */
  public Future<Void> begin(RoutingContext ctx, App app, Flow flow, AuditEvent started) {
    return begin(ctx, app, flow, started, () -> { });
  }

  /** The same, running {@code onStarted} (a kind's own count of its starts) only once the flow got through. */
  public Future<Void> begin(RoutingContext ctx, App app, Flow flow, AuditEvent started, Runnable onStarted) {
    if (!kinds.containsKey(flow.kind())) {
      return Future.failedFuture(new IllegalStateException("no flow kind " + flow.kind()));
    }
    if (refusedAsSubresource(ctx, app, flow.kind())) {
      return Future.succeededFuture();
    }
    return starts.waitFor(app.id(), visit(ctx).clientIp()).compose(wait -> {
      if (wait > 0) {
        metrics.flow(flow.kind(), "rate_limited");
        ctx.response().putHeader("Retry-After", Long.toString(wait));
        HostedPages.problem(ctx, 429, app, "Too many sign-ins from your network. Try again in " + seconds(wait) + ".");
        return Future.succeededFuture();
      }
      String browser = cookie.ensure(ctx);
      metrics.flow(flow.kind(), "started");
      onStarted.run();
      Future<Void> recorded = started == null ? Future.succeededFuture() : audit.record(started);
      return recorded.compose(stored -> flows.save(browser, flow)).compose(saved -> enter(ctx, app, flow, Input.NONE));
    });
  }

  /**
   * Answers a 403 page, and true, unless the browser loads the page as a page its user opened (its
   * {@code Sec-Fetch-Dest} is {@code document}, or not sent: older browsers, backends' own clients; and not a
   * prefetch): an image, a script, a frame, a fetch or a prefetch that another site's page makes would otherwise
   * spend its visitors' starts at an app, or bind their links. A prefetch refused is fetched again when followed.
   */
  public boolean refusedAsSubresource(RoutingContext ctx, App app, String kind) {
    String destination = ctx.request().getHeader("Sec-Fetch-Dest");
    String purpose = ctx.request().getHeader("Sec-Purpose");
    if ((destination == null || destination.equals("document")) && (purpose == null || !purpose.contains("prefetch"))) {
      return false;
    }
    metrics.flow(kind, "not_navigation");
    HostedPages.problem(ctx, 403, app, "Open this page in your browser's address bar or from a link.");
    return true;
  }

  /** {@code POST /hosted/{app_id}/flow}: one step's form. */
  public void submit(RoutingContext ctx) {
    UUID appId = AppDirectory.parseUuid(ctx.pathParam("app_id"));
    MultiMap form = ctx.request().formAttributes();
    String browser = BrowserCookie.of(ctx);
    flows.find(browser, form.get("flow_id"))
        .compose(flow -> apps.find(appId).compose(app -> {
          if (flow == null || !flow.appId().equals(appId) || app.isEmpty()) {
            if (flow == null || !flow.appId().equals(appId)) {
              metrics.flow(flow == null ? "unknown" : flow.kind(), "expired");
            }
            // Named after the app of the address (public, as its sign-in page is), so the user knows which to go
            // back to (h87).
            HostedPages.problem(ctx, 400, app.filter(known -> !known.isConsole()).orElse(null), GONE);
            return Future.succeededFuture();
          }
          if (!csrfMatches(flow, form.get("csrf_token"))) {
            HostedPages.problem(ctx, 403, app.get(), "This form was not sent by this page. Start again from the app.");
            return Future.succeededFuture();
          }
          return step(ctx, new Turn(app.get(), browser, visit(ctx), form), flow);
        }))
        .onFailure(failure -> failed(ctx, failure));
  }

  /** One submitted form of a flow, with everything its step needs. */
  private record Turn(App app, String browser, FlowKind.Visit visit, MultiMap form) {

    String field(String name) {
      return form.get(name);
    }
  }

  /**
   * What a re-shown step keeps of the user's input, and what it tells them; with an error, the page's status (400,
   * or 503 with its Retry-After when a store is down, so a client and the operators' alerts see an outage as one).
   */
  /** {@code invalid}: the profile fields the error is about (only they are marked invalid for a screen reader). */
  private record Input(String error, String notice, String identity, Map<String, String> answers, int status,
                       long retryAfter, Set<String> invalid) {

    static final Input NONE = new Input(null, null, null, Map.of());

    Input(String error, String notice, String identity, Map<String, String> answers) {
      this(error, notice, identity, answers, 400, -1, Set.of());
    }

    static Input error(String message) {
      return new Input(message, null, null, Map.of());
    }

    /** The profile form again as it was filled in, with {@code fields} in error. */
    static Input inFields(String message, Map<String, String> given, List<String> fields) {
      return new Input(message, null, null, given, 400, -1, Set.copyOf(fields));
    }

    static Input failed(Throwable failure) {
      ApiException api = Failures.toApi(failure);
      return api.code() == ErrorCode.UNAVAILABLE
          ? new Input(message(failure), null, null, Map.of(), 503, Math.max(1, api.retryAfter()), Set.of())
          : error(message(failure));
    }
  }

  private Future<Void> step(RoutingContext ctx, Turn turn, Flow flow) {
    String posted = turn.field("step");
    if (posted == null || !posted.equalsIgnoreCase(flow.step().name())) {
      // A form of an earlier step (the back button): show where the flow is now.
      return show(ctx, turn.app(), flow, Input.NONE);
    }
    return kinds.get(flow.kind()).stillOpen(turn.app(), flow, turn.visit()).compose(open -> {
      if (!open) {
        HostedPages.problem(ctx, 400, turn.app(), "This sign-in is over. Go back to the app.");
        return Future.<Void>succeededFuture();
      }
      return switch (flow.step()) {
        case IDENTITY -> identity(ctx, turn, flow);
        case PASSWORD -> password(ctx, turn, flow);
        case CODE -> code(ctx, turn, flow);
        case PROFILE -> profile(ctx, turn, flow);
      };
    });
  }

  /**
   * What the identity step says of an identity it cannot take: an internationalised domain's rule by name (h87), for
   * an address that its domain's ASCII form would make valid (h98: not for one with another flaw).
   */
  private static String invalidIdentity(String raw, boolean phoneToo) {
    int at = raw.indexOf('@');
    String local = at > 0 ? raw.substring(0, at) : "";
    String domain = at > 0 ? raw.substring(at + 1) : "";
    boolean asciiAddressButDomain = !local.isEmpty() && local.chars().allMatch(c -> c > ' ' && c < 0x7f)
        && domain.indexOf('@') < 0 && domain.contains(".") && domain.chars().noneMatch(Character::isWhitespace);
    if (asciiAddressButDomain && !domain.chars().allMatch(c -> c < 0x80)) {
      return "Enter the email address with its domain in its ASCII form (xn--…), as your email provider shows it.";
    }
    return phoneToo ? "Enter a valid email address, or a phone number starting with + and the country code."
        : "Enter a valid email address.";
  }

  private Future<Void> identity(RoutingContext ctx, Turn turn, Flow flow) {
    if (flow.fixedIdentity()) {
      metrics.passed(flow.kind(), Flow.Step.IDENTITY);
      return sendCode(ctx, turn, flow, null);
    }
    String raw = Optional.ofNullable(turn.field("identity")).orElse("").strip();
    Identity identity;
    try {
      identity = parseIdentity(raw, turn.app().settings().hosted().sms());
    } catch (ApiException invalid) {
      return show(ctx, turn.app(), flow, new Input(invalidIdentity(raw, turn.app().settings().hosted().sms()), null,
          raw, Map.of()));
    }
    metrics.passed(flow.kind(), Flow.Step.IDENTITY);
    Flow identified = flow.withIdentity(identity.qualified());
    if (passwordOffered(turn.app())) {
      return passwords.challenge(turn.app(), identity, turn.visit().clientIp(), turn.visit().requestId())
          .compose(challenge -> {
            Flow atPassword = identified.atPassword(challenge);
            return flows.save(turn.browser(), atPassword)
                .compose(saved -> enter(ctx, turn.app(), atPassword, Input.NONE));
          });
    }
    return sendCode(ctx, turn, identified, null);
  }

  private Future<Void> password(RoutingContext ctx, Turn turn, Flow flow) {
    if ("send_code".equals(turn.field("action"))) {
      if (unsolvedForSms(flow, turn.field("pow_solution"))) {
        return show(ctx, turn.app(), flow, Input.error("Sending a code by SMS needs JavaScript here. "
            + "Sign in with an email address instead."));
      }
      // Leaving for a code passes the password step: counted as not passed, the step looked like every user's exit.
      metrics.passed(flow.kind(), flow.step());
      return sendCode(ctx, turn, flow, null);
    }
    if (!passwordOffered(turn.app())) {
      // The app turned password sign-in off while this flow stood at its password step (h75: it still took one).
      return sendCode(ctx, turn, flow, "Signing in with a password is not offered here any more, so we sent you a "
          + "code instead.");
    }
    String password = turn.field("password");
    if (password == null || password.isEmpty()) {
      return show(ctx, turn.app(), flow, Input.error("Enter your password, or ask for a code instead."));
    }
    Identity identity = Identity.fromQualified(flow.identity());
    String solution = turn.field("pow_solution");
    boolean unsolved = solution == null || solution.isEmpty();
    if (flow.challenge() != null && flow.challenge().difficulty() > 0 && unsolved) {
      // No script ran (JavaScript is off): a step whose challenge has a difficulty offers email codes only.
      return identity.kind() == Identity.Kind.EMAIL
          ? sendCode(ctx, turn, flow, "Signing in with a password needs JavaScript here, so we sent you a code instead.")
          : show(ctx, turn.app(), flow, Input.error("Signing in with a password needs JavaScript here. "
              + "Sign in with an email address instead."));
    }
    return passwords.signIn(turn.app(), identity, password, flow.challenge(), unsolved ? null : solution,
            turn.visit().clientIp(), turn.visit().requestId())
        .compose(
            proven -> signedIn(ctx, turn, flow, proven),
            // The challenge is spent either way: a new one for the next try (its difficulty may have risen).
            failure -> passwords.challenge(turn.app(), identity, turn.visit().clientIp(), turn.visit().requestId())
                .compose(next -> {
                  Flow retry = flow.atPassword(next);
                  return flows.save(turn.browser(), retry)
                      .compose(saved -> show(ctx, turn.app(), retry, Input.failed(failure)));
                }));
  }

  /**
   * A code by SMS asked for at a password step whose challenge has a difficulty, without its proof of work (no
   * JavaScript ran): such a step offers email codes only, so SMS costs a script the same work as a password try.
   */
  private static boolean unsolvedForSms(Flow flow, String solution) {
    PasswordSignIn.Challenge challenge = flow.challenge();
    return Identity.fromQualified(flow.identity()).kind() == Identity.Kind.PHONE && challenge != null
        && challenge.difficulty() > 0 && !ProofOfWork.solves(challenge.token(), solution, challenge.difficulty());
  }

  private Future<Void> code(RoutingContext ctx, Turn turn, Flow flow) {
    if ("resend".equals(turn.field("action"))) {
      return sendCode(ctx, turn, flow, "We sent a new code.");
    }
    String code = Digits.ascii(Optional.ofNullable(turn.field("code")).orElse("").strip());
    if (code.isEmpty()) {
      return show(ctx, turn.app(), flow, Input.error("Enter the code we sent you."));
    }
    OtpMessages.Verify verify = new OtpMessages.Verify(turn.app().id(), flow.otpRequestId(), code,
        turn.visit().requestId(), turn.visit().clientIp());
    return bus.request(Bus.OTP_PROVE, verify)
        .compose(
            proven -> signedIn(ctx, turn, flow, proven),
            failure -> show(ctx, turn.app(), flow, Input.failed(failure)));
  }

  private Future<Void> signedIn(RoutingContext ctx, Turn turn, Flow flow, OtpMessages.Proven proven) {
    metrics.passed(flow.kind(), flow.step());
    if (flow.step() == Flow.Step.PASSWORD && kinds.get(flow.kind()).needsProvenIdentity()
        && !proven.user().getBoolean(Identity.fromQualified(flow.identity()).kind().field() + "_verified", false)) {
      // The right password of an identity nobody proved (h45): a code proves it before the flow goes on.
      return sendCode(ctx, turn, flow, "Enter the code we sent to confirm it is yours.");
    }
    // How and when the user proved it (OpenID Connect's amr and auth_time): the step that signed them in, a password
    // or a code, and now, not when a later profile step finishes the flow (h53).
    String amr = flow.step() == Flow.Step.PASSWORD ? "pwd" : "otp";
    JsonObject signedIn = proven.user().copy().put("amr", amr)
        .put(AUTH_TIME, Instant.now().getEpochSecond());
    if (proven.credential() != null) {
      signedIn.put(AuthCodes.CREDENTIAL, proven.credential());
    }
    Flow done = flow.signedIn(signedIn, proven.newUser());
    if (!completable(done)) {
      // Every set asks for an email or phone this user does not have: no answer on this page can complete one.
      String needed = String.join(" or ", neededIdentities(done));
      if (flow.fixedIdentity()) {
        HostedPages.problem(ctx, 400, turn.app(),
            "This sign-in needs the " + needed + " of your account, which it does not have.");
        return Future.succeededFuture();
      }
      Flow again = flow.withIdentity(null).at(Flow.Step.IDENTITY);
      return flows.save(turn.browser(), again).compose(saved -> enter(ctx, turn.app(), again,
          Input.error("This service needs your " + needed + ": sign in with it.")));
    }
    if (done.ask().isEmpty()) {
      return complete(ctx, turn, done, Map.of());
    }
    return savedAnswers(turn.app().id(), done).compose(saved -> {
      if (missing(done, saved).isEmpty()) {
        // A returning user whose profile holds every field asked: nothing to ask.
        return complete(ctx, turn, done, saved);
      }
      Flow atProfile = done.at(Flow.Step.PROFILE);
      return flows.save(turn.browser(), atProfile)
          .compose(stored -> enter(ctx, turn.app(), atProfile, new Input(null, null, null, saved)));
    });
  }

  /** What the user's profile already holds of the fields the flow asks (a conversation's fields it never keeps). */
  private Future<Map<String, String>> savedAnswers(UUID appId, Flow flow) {
    List<String> kept = flow.ask().stream().filter(AnswerFields::isProfileField).toList();
    return kept.isEmpty()
        ? Future.succeededFuture(Map.of())
        : users.savedAnswers(appId, UUID.fromString(flow.user().getString("id")), kept);
  }

  private Future<Void> profile(RoutingContext ctx, Turn turn, Flow flow) {
    Map<String, String> given = new LinkedHashMap<>();
    for (String field : flow.ask()) {
      String raw = turn.field(field);
      given.put(field, raw == null ? "" : raw);
    }
    Map<String, String> answers = new LinkedHashMap<>();
    // Every field is kept as given before any is judged: an error shows the whole form again as it was filled in.
    for (String field : flow.ask()) {
      try {
        AnswerFields.read(field, turn.field(field)).ifPresent(value -> answers.put(field, value));
      } catch (IllegalArgumentException invalid) {
        return show(ctx, turn.app(), flow, Input.inFields(invalid.getMessage(), given, List.of(field)));
      }
    }
    List<String> missing = missing(flow, answers);
    if (!missing.isEmpty()) {
      return show(ctx, turn.app(), flow, Input.inFields("Please fill in: "
          + String.join(", ", missing.stream().map(AnswerFields::label).toList()) + ".", given, missing));
    }
    metrics.passed(flow.kind(), Flow.Step.PROFILE);
    return complete(ctx, turn, flow, answers);
  }

  /**
   * The fields still missing from the first set of {@code anyOf} nearest to complete, or none when one is. A set
   * that needs an email or phone the user lacks is skipped: the page cannot ask for those, only the sign-in
   * proves them.
   */
  private static List<String> missing(Flow flow, Map<String, String> answers) {
    List<String> fewest = null;
    for (List<String> set : flow.anyOf()) {
      if (!provenHas(flow.user(), set)) {
        continue;
      }
      List<String> missing = set.stream()
          .filter(field -> !AnswerFields.PROVEN.contains(field) && !answers.containsKey(field))
          .toList();
      if (fewest == null || missing.size() < fewest.size()) {
        fewest = missing;
      }
    }
    return fewest == null ? List.of() : fewest;
  }

  /** Some set of {@code anyOf} (or none asked) has every email or phone it names on the signed-in user. */
  private static boolean completable(Flow flow) {
    return flow.anyOf().isEmpty() || flow.anyOf().stream().anyMatch(set -> provenHas(flow.user(), set));
  }

  private static boolean provenHas(JsonObject user, List<String> set) {
    return set.stream().filter(AnswerFields.PROVEN::contains)
        .allMatch(field -> user.getString(field.equals("EMAIL") ? "email" : "phone") != null);
  }

  /** "email address" and/or "phone number": what the sets ask the sign-in to prove and this user lacks. */
  private static List<String> neededIdentities(Flow flow) {
    Set<String> needed = new TreeSet<>();
    for (List<String> set : flow.anyOf()) {
      for (String field : set) {
        if (AnswerFields.PROVEN.contains(field) && !provenHas(flow.user(), List.of(field))) {
          needed.add(field.equals("EMAIL") ? "email address" : "phone number");
        }
      }
    }
    return List.copyOf(needed);
  }

  /**
   * Ends the flow once (a double submit finds it gone), lets its kind issue, and redirects. The user proved an
   * identity up to half an hour ago (the profile step waits): one disabled or deleted since gets nothing, since a
   * conversation's result has no later redemption that would check.
   */
  private Future<Void> complete(RoutingContext ctx, Turn turn, Flow flow, Map<String, String> answers) {
    FlowKind kind = kinds.get(flow.kind());
    UUID userId = UUID.fromString(flow.user().getString("id"));
    // A refused flow ends: re-enabling the user must not let this page finish the proof it held.
    return users.standing(turn.app().id(), userId).compose(standing -> switch (standing) {
      case DISABLED -> flows.finish(turn.browser(), flow)
          .onSuccess(ended -> HostedPages.problem(ctx, 403, turn.app(), "This account is disabled.")).<Void>mapEmpty();
      case GONE -> flows.finish(turn.browser(), flow).onSuccess(ended -> HostedPages.problem(ctx, 400, turn.app(),
          "This sign-in cannot go on. Go back to the app and start again.")).<Void>mapEmpty();
      case ACTIVE -> finish(ctx, turn, flow, answers, kind, userId);
    });
  }

  private Future<Void> finish(RoutingContext ctx, Turn turn, Flow flow, Map<String, String> answers, FlowKind kind,
                              UUID userId) {
    return flows.finish(turn.browser(), flow).compose(finished -> {
      if (!finished) {
        HostedPages.problem(ctx, 400, turn.app(), GONE);
        return Future.succeededFuture();
      }
      return kind.complete(turn.app(), flow, flow.user(), flow.newUser(), answers, turn.visit())
          .compose(location -> audit.record(event(COMPLETED, turn.visit(), flow).withUser(userId)).map(location))
          .onSuccess(location -> {
            metrics.flow(flow.kind(), "completed");
            HostedPages.redirect(ctx, location);
          })
          .mapEmpty();
    });
  }

  private Future<Void> sendCode(RoutingContext ctx, Turn turn, Flow flow, String notice) {
    Identity identity = Identity.fromQualified(flow.identity());
    if (identity.kind() == Identity.Kind.PHONE && !turn.app().settings().hosted().sms()) {
      return show(ctx, turn.app(), flow, Input.error("This app does not send codes by text message."));
    }
    if (identity.kind() == Identity.Kind.PHONE) {
      return smsBudget.reserve(turn.app(), identity).compose(place -> place != null
          ? deliver(ctx, turn, flow, identity, notice, place)
          : show(ctx, turn.app(), flow, Input.error("Codes by text message cannot be sent from this page right now. "
              + "Sign in with an email address instead, or try again later.")));
    }
    return deliver(ctx, turn, flow, identity, notice, null);
  }

  /** {@code place}: the SMS's place in the pages' share (null for an email). */
  private Future<Void> deliver(RoutingContext ctx, Turn turn, Flow flow, Identity identity, String notice,
                               HostedSmsBudget.Place place) {
    boolean email = identity.kind() == Identity.Kind.EMAIL;
    OtpMessages.Send send = new OtpMessages.Send(turn.app().id(), email ? identity.value() : null,
        email ? null : identity.value(), turn.visit().requestId(), turn.visit().clientIp()).asAnonymous();
    return bus.request(Bus.OTP_SEND, send).compose(
        sent -> {
          Flow waiting = flow.withCode(sent.otpRequestId());
          AuditEvent event = event(CODE_SENT, turn.visit(), flow)
              .with("channel", identity.kind().channel())
              .with("otp_request_id", sent.otpRequestId());
          return Future.join(flows.save(turn.browser(), waiting), audit.record(event))
              .compose(saved -> enter(ctx, turn.app(), waiting, new Input(null, notice, null, Map.of())));
        },
        failure -> {
          // Refused, so not sent: its place in the hosted pages' SMS share goes back (a release Redis missed keeps it
          // taken). A 503 keeps it: a send the page stopped waiting for may still have gone out (probe h60).
          Future<Void> released = place != null && Failures.toApi(failure).code().status() < 500
              ? smsBudget.release(turn.app(), identity, place).otherwise((Void) null)
              : Future.succeededFuture();
          return released.compose(done -> show(ctx, turn.app(), flow, Input.failed(failure)));
        });
  }

  /**
   * Renders the step the flow has just entered, after recording that it was shown. Only entering a step is
   * audited: a step shown again (an error, the back button's form) is counted in the metrics only, so a stranger
   * posting a flow's form in a loop cannot add an audit row, which is never deleted, per post.
   */
  private Future<Void> enter(RoutingContext ctx, App app, Flow flow, Input input) {
    AuditEvent shown = event(PAGE_SHOWN, visit(ctx), flow)
        .with("step", flow.step().name().toLowerCase(java.util.Locale.ROOT));
    return audit.record(shown).compose(stored -> show(ctx, app, flow, input));
  }

  /** Renders the flow's current step. */
  private Future<Void> show(RoutingContext ctx, App app, Flow flow, Input input) {
    metrics.shown(flow.kind(), flow.step());
    // In map, not onSuccess: a page that fails to build is a failed step (an error page), not a browser left waiting.
    return Future.succeededFuture().map(started -> {
      StepPage base = HostedPages.step(app, flow, input.error());
      String masked = flow.identity() == null ? null : Identity.fromQualified(flow.identity()).masked();
      List<StepPage.Field> fields = new ArrayList<>();
      if (flow.step() == Flow.Step.PROFILE) {
        flow.ask().forEach(field -> fields.add(AnswerFields.view(field, input.answers().get(field),
            input.invalid().contains(field))));
      }
      PasswordSignIn.Challenge challenge = flow.step() == Flow.Step.PASSWORD ? flow.challenge() : null;
      StepPage page = new StepPage(base.title(), base.logoUrl(), base.appName(), base.action(), base.flowId(),
          base.csrf(), base.step(), base.error(), input.notice(), input.identity(), masked, base.allowPhone(),
          challenge == null || challenge.difficulty() == 0 ? null : challenge.token(),
          challenge == null ? 0 : challenge.difficulty(), fields);
      if (input.error() != null && input.retryAfter() >= 0) {
        ctx.response().putHeader("Retry-After", Long.toString(input.retryAfter()));
      }
      HostedPages.render(ctx, input.error() == null ? 200 : input.status(), template(flow.step()), page);
      return null;
    });
  }

  private static String template(Flow.Step step) {
    return step.name().toLowerCase(java.util.Locale.ROOT);
  }

  private boolean passwordOffered(App app) {
    return app.settings().hosted().password() && passwords.available();
  }

  private static Identity parseIdentity(String raw, boolean allowPhone) {
    if (raw.isEmpty()) {
      throw ApiException.invalid("identity", "is required");
    }
    if (raw.contains("@") || !allowPhone) {
      return Identity.email(raw);
    }
    return Identity.phone(raw);
  }

  private static boolean csrfMatches(Flow flow, String presented) {
    return presented != null && Secrets.constantTimeEquals(flow.csrf().getBytes(StandardCharsets.UTF_8),
        presented.getBytes(StandardCharsets.UTF_8));
  }

  /** What the user is told about a refused step: never more than the API would say. */
  /** "1 second", "30 seconds": a wait as the page says it (at least a second). */
  private static String seconds(long wait) {
    long shown = Math.max(1, wait);
    return shown + (shown == 1 ? " second" : " seconds");
  }

  private static String rateLimited(String message, String retry) {
    if (message.contains("SMS budget")) {
      // The app's own ceiling, not anything this user did.
      return "Codes by text message cannot be sent right now. Use an email address, or try again in " + retry + ".";
    }
    if (message.contains("under way")) {
      return "Another sign-in to this account is being checked. Try again in a moment.";
    }
    if (message.contains("open to anyone")) {
      // The pages' share of the app's hourly codes: nothing this user did either.
      return "Codes cannot be sent from this page right now. Try again in " + retry + ".";
    }
    if (message.contains("moments ago")) {
      // the resend cooldown: nothing the user did wrong
      return "We sent a code moments ago. You can ask for a new one in " + retry + ".";
    }
    return "Too many attempts. Try again in " + retry + ".";
  }

  private static String message(Throwable failure) {
    ApiException api = Failures.toApi(failure);
    return switch (api.code()) {
      case OTP_INVALID -> {
        int left = api.extra() == null ? 0 : api.extra().getInteger("attempts_left", 0);
        yield left > 0 ? "That code is not right. " + left + (left == 1 ? " attempt" : " attempts") + " left."
            : "That code is not right, and no attempts are left. Send a new code.";
      }
      case OTP_EXPIRED, OTP_ATTEMPTS_EXCEEDED -> "This code can no longer be used. Send a new code.";
      case RATE_LIMITED -> rateLimited(String.valueOf(api.getMessage()), seconds(api.retryAfter()));
      case INVALID_REQUEST, FORBIDDEN -> "This app cannot send a code to that address.";
      case INVALID_CLIENT -> "This app is no longer available.";
      case INVALID_CREDENTIALS -> WRONG_PASSWORD;
      // The page's challenge lapsed (the page stayed open past its lifetime) or its proof of work no longer
      // suffices (failures raised it meanwhile): either way the page comes back with a new one.
      case INVALID_CHALLENGE -> String.valueOf(api.getMessage()).startsWith("challenge_token")
          ? "This page was open too long. Please enter your password again."
          : "Please try again: this page needed a little more work first.";
      case USER_DISABLED -> "This account is disabled.";
      case IDENTITY_NOT_VERIFIED -> "This address is not verified yet. Send yourself a code instead.";
      case UNAVAILABLE -> "Sign-in is unavailable right now. Try again in a moment.";
      default -> {
        if (api.code() == ErrorCode.INTERNAL_ERROR) {
          LOG.error("hosted step failed", failure);
        }
        yield api.code().status() == 401 ? WRONG_PASSWORD : "Something went wrong. Try again.";
      }
    };
  }

  private static AuditEvent event(String type, FlowKind.Visit visit, Flow flow) {
    return AuditEvent.of(type, flow.appId(), visit.requestId(), visit.clientIp())
        .with("kind", flow.kind())
        .with("flow_id", flow.id());
  }

  public static FlowKind.Visit visit(RoutingContext ctx) {
    return new FlowKind.Visit(RequestIds.of(ctx), Requests.callerIp(ctx));
  }

  /** A failure no step could turn into a message (a store down, a bug): an error page, never a stack trace. */
  public static void failed(RoutingContext ctx, Throwable failure) {
    ApiException api = Failures.toApi(failure);
    if (Failures.isInternal(api)) {
      LOG.error("hosted request {} failed", RequestIds.of(ctx), failure);
    } else if (api.code().status() >= 500 && !api.logged()) {
      // As the API's 503s are: which store failed, once per request (h55).
      LOG.warn("hosted request {} {} {} answered {}: {}", RequestIds.of(ctx), ctx.request().method(),
          ctx.request().path(), api.code().status(), api.getMessage());
    }
    if (ctx.response().headWritten()) {
      return;
    }
    int status = api.code().status();
    if (api.retryAfter() >= 0) {
      ctx.response().putHeader("Retry-After", Long.toString(api.retryAfter()));
    }
    HostedPages.problem(ctx, status, null, switch (status) {
      case 429 -> "Too many attempts from your network. Try again in " + seconds(api.retryAfter()) + ".";
      case 503 -> "Sign-in is unavailable right now. Try again in a moment.";
      case 500 -> "Something went wrong. Go back to the app and try again.";
      default -> "This sign-in cannot go on. Go back to the app and start again.";
    });
  }
}
