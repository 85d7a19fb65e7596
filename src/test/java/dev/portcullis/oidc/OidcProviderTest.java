package dev.portcullis.oidc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenErrorResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.claims.UserInfo;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.hosted.FormBrowser;
import dev.portcullis.testing.ApiResponse;
import dev.portcullis.testing.Await;
import dev.portcullis.testing.AuditTap;
import dev.portcullis.testing.Http;
import dev.portcullis.testing.SlowTrigger;
import dev.portcullis.testing.TestBackends;
import dev.portcullis.testing.TestGateway;
import dev.portcullis.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("OpenID Connect provider: a standard relying party (nimbus oauth2-oidc-sdk) signs users in")
class OidcProviderTest {

  private static final String CALLBACK = "https://rp.example.com/login/oauth2/code/portcullis";

  private static WebhookReceiver receiver;
  private static TestGateway gateway;
  private static AuditTap audit;
  private static String base;
  private static JsonObject app;
  private static String appId;
  private static String issuer;
  private static OIDCProviderMetadata provider;

  @BeforeAll
  static void start() throws Exception {
    receiver = new WebhookReceiver();
    int port = TestBackends.freePort();
    base = "http://127.0.0.1:" + port;
    gateway = TestGateway.start(receiver.channels().put(GatewayConfig.HTTP_PORT, port).put(GatewayConfig.ISSUER, base));
    audit = new AuditTap(gateway);
    app = gateway.createApp(new JsonObject().put("name", "Relying Party").put("slug", "rp-shop")
        .put("callback_urls", new JsonArray(List.of(CALLBACK)))
        .put("settings", new JsonObject().put("profile_fields", new JsonArray(List.of("name", "address")))
            .put("refresh_reuse_grace_seconds", 0)));
    appId = app.getString("app_id");
    issuer = base + "/oidc/" + appId;
    provider = OIDCProviderMetadata.resolve(new Issuer(issuer));
  }

  @AfterAll
  static void stop() {
    audit.close();
    gateway.close();
    receiver.close();
  }

  /** What the relying party keeps between the redirect and the code exchange. */
  private record Started(AuthenticationRequest request, CodeVerifier verifier, Nonce nonce, State state) {
  }

  private static Started authenticationRequest(String scope) {
    CodeVerifier verifier = new CodeVerifier();
    Nonce nonce = new Nonce();
    State state = new State();
    AuthenticationRequest request = new AuthenticationRequest.Builder(new ResponseType("code"), Scope.parse(scope),
        new ClientID(appId), URI.create(CALLBACK))
        .endpointURI(provider.getAuthorizationEndpointURI())
        .state(state)
        .nonce(nonce)
        .codeChallenge(verifier, CodeChallengeMethod.S256)
        .build();
    return new Started(request, verifier, nonce, state);
  }

  /** Follows the authorize redirect through the hosted pages (email code, profile) to the redirect_uri. */
  private static AuthenticationResponse signIn(Started started, String email) throws Exception {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page next = codeAccepted(browser, started, email);
    if (next.status() == 200 && next.body().contains("name=\"name\"")) {
      next = browser.submit(next, Map.of("name", "Ana Lima", "address", "Rua Augusta 1, Lisboa", "action", "profile"));
    }
    assertEquals(302, next.status(), next.toString());
    assertTrue(next.location().startsWith(CALLBACK + "?code="), next.location());
    return AuthenticationResponseParser.parse(URI.create(next.location()));
  }

  /** The page after the hosted pages took the email's code: the profile step, or the redirect to the client. */
  private static FormBrowser.Page codeAccepted(FormBrowser browser, Started started, String email) {
    FormBrowser.Page page = browser.get(started.request().toURI().toString());
    assertEquals(200, page.status(), page.toString());
    int before = codesSentTo(email);
    FormBrowser.Page codeStep = browser.submit(page, Map.of("identity", email));
    if (codeStep.body().contains("name=\"password\"")) {
      // The hosted password step (hosted_password defaults to true): ask for a code instead.
      codeStep = browser.submit(codeStep, Map.of("action", "send_code"));
    }
    return browser.submit(codeStep, Map.of("code", code(email, before), "action", "verify"));
  }

  private static int codesSentTo(String address) {
    return (int) receiver.calls().stream().filter(call -> address.equals(call.json().getString("to"))).count();
  }

  private static String code(String address, int before) {
    Await.until("a code for " + address, Duration.ofSeconds(10), () -> codesSentTo(address) > before);
    return receiver.calls().stream().filter(call -> address.equals(call.json().getString("to"))).skip(before)
        .findFirst().orElseThrow().json().getString("code");
  }

  /** A user's tokens from a whole sign-in with scope {@code openid offline_access} (so with a refresh token). */
  private static OIDCTokenResponse offlineTokens(String email) throws Exception {
    Started started = authenticationRequest("openid offline_access");
    AuthorizationCode code = signIn(started, email).toSuccessResponse().getAuthorizationCode();
    return (OIDCTokenResponse) exchange(code, CALLBACK, started.verifier()).toSuccessResponse();
  }

  private static ClientSecretBasic basic() {
    return new ClientSecretBasic(new ClientID(appId), new Secret(app.getString("app_secret")));
  }

  private static TokenResponse exchange(AuthorizationCode code, String redirect, CodeVerifier verifier) throws Exception {
    TokenRequest request = new TokenRequest(provider.getTokenEndpointURI(), basic(),
        new AuthorizationCodeGrant(code, URI.create(redirect), verifier));
    return OIDCTokenResponseParser.parse(request.toHTTPRequest().send());
  }

  private static TokenResponse refresh(RefreshToken token) throws Exception {
    TokenRequest request = new TokenRequest(provider.getTokenEndpointURI(),
        new ClientSecretPost(new ClientID(appId), new Secret(app.getString("app_secret"))), new RefreshTokenGrant(token));
    return OIDCTokenResponseParser.parse(request.toHTTPRequest().send());
  }

  private static ApiResponse userinfo(String accessToken) {
    return gateway.http().get("/oidc/" + appId + "/userinfo", Http.bearer(accessToken));
  }

  private static ApiResponse form(String path, Map<String, String> fields, String... headers) {
    String body = fields.entrySet().stream().map(e -> FormBrowser.encode(e.getKey()) + "=" + FormBrowser.encode(e.getValue()))
        .collect(Collectors.joining("&"));
    String[] all = new String[headers.length + 2];
    all[0] = "Content-Type";
    all[1] = "application/x-www-form-urlencoded";
    System.arraycopy(headers, 0, all, 2, headers.length);
    return gateway.http().send("POST", path, body, all);
  }

  private static String basicHeader() {
    return "Basic " + java.util.Base64.getEncoder().encodeToString(
        (appId + ":" + app.getString("app_secret")).getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> query(String location) {
    Map<String, String> params = new LinkedHashMap<>();
    String raw = URI.create(location).getRawQuery();
    for (String pair : raw.split("&")) {
      String[] kv = pair.split("=", 2);
      params.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    return params;
  }

  @Test
  @DisplayName("discovery, authorize with PKCE, code exchange, ID token validation, userinfo and refresh all work with nimbus")
  void standardRelyingParty() throws Exception {
    assertEquals(issuer, provider.getIssuer().getValue());
    assertEquals(URI.create(issuer + "/jwks.json"), provider.getJWKSetURI());
    assertTrue(provider.getCodeChallengeMethods().contains(CodeChallengeMethod.S256));
    assertFalse(provider.getCodeChallengeMethods().contains(CodeChallengeMethod.PLAIN));

    Started started = authenticationRequest("openid email profile offline_access");
    AuthenticationResponse response = signIn(started, "ana@example.com");
    assertTrue(response.indicatesSuccess(), response.toString());
    assertEquals(started.state(), response.getState());
    assertTrue(provider.supportsAuthorizationResponseIssuerParam(), "RFC 9207 advertised");
    assertEquals(issuer, response.getIssuer().getValue(), "RFC 9207: the answer names its issuer");
    AuthorizationCode code = response.toSuccessResponse().getAuthorizationCode();

    TokenResponse tokens = exchange(code, CALLBACK, started.verifier());
    assertTrue(tokens.indicatesSuccess(), () -> ((TokenErrorResponse) tokens).getErrorObject().toJSONObject().toString());
    OIDCTokenResponse oidc = (OIDCTokenResponse) tokens.toSuccessResponse();
    assertEquals("Bearer", oidc.getOIDCTokens().getAccessToken().getType().getValue());
    assertNotNull(oidc.getOIDCTokens().getRefreshToken(), "offline_access gives a refresh token");

    IDTokenValidator validator = new IDTokenValidator(new Issuer(issuer), new ClientID(appId), JWSAlgorithm.RS256,
        provider.getJWKSetURI().toURL());
    IDTokenClaimsSet claims = validator.validate(oidc.getOIDCTokens().getIDToken(), started.nonce());
    assertEquals("ana@example.com", claims.getStringClaim("email"));
    assertEquals("Ana Lima", claims.getStringClaim("name"));
    assertEquals(Boolean.TRUE, claims.getBooleanClaim("email_verified"), "an email proven with a code");
    assertNotNull(claims.getAuthenticationTime());
    assertEquals(List.of("otp"), claims.getStringListClaim("amr"));
    String sub = claims.getSubject().getValue();

    UserInfoResponse info = UserInfoResponse.parse(new UserInfoRequest(provider.getUserInfoEndpointURI(),
        (BearerAccessToken) oidc.getOIDCTokens().getAccessToken()).toHTTPRequest().send());
    assertTrue(info.indicatesSuccess(), info.toString());
    UserInfo user = info.toSuccessResponse().getUserInfo();
    assertEquals(sub, user.getSubject().getValue());
    assertEquals("ana@example.com", user.getEmailAddress());
    assertEquals("Ana Lima", user.getName());
    assertEquals("Rua Augusta 1, Lisboa", user.getAddress().getFormatted());
    assertNull(user.getPhoneNumber(), "no phone scope, no phone claims");

    ApiResponse me = gateway.http().get("/auth/me", Http.bearer(oidc.getOIDCTokens().getAccessToken().getValue()));
    assertEquals(200, me.status(), "the REST API accepts the OIDC issuer's access tokens: " + me);
    assertEquals(sub, me.json().getJsonObject("user").getString("id"));

    TokenResponse refreshed = refresh(oidc.getOIDCTokens().getRefreshToken());
    assertTrue(refreshed.indicatesSuccess(), refreshed.toString());
    OIDCTokenResponse again = (OIDCTokenResponse) refreshed.toSuccessResponse();
    assertNotEquals(oidc.getOIDCTokens().getRefreshToken(), again.getOIDCTokens().getRefreshToken(), "rotated");
    IDTokenClaimsSet refreshedClaims = validator.validate(again.getOIDCTokens().getIDToken(), null);
    assertEquals(sub, refreshedClaims.getSubject().getValue());
    assertEquals(200, userinfo(again.getOIDCTokens().getAccessToken().getValue()).status());

    String userId = sub;
    assertFalse(audit.of(Authorize.STARTED, appId).isEmpty());
    assertTrue(audit.of(TokenEndpoint.CODE_EXCHANGED, appId).stream().anyMatch(e -> userId.equals(e.getString("user_id"))));
    assertTrue(audit.of(TokenEndpoint.REFRESHED, appId).stream().anyMatch(e -> userId.equals(e.getString("user_id"))));
  }

  @Test
  @DisplayName("auth_time is when the code was accepted, not when a later profile step finished the sign-in (h53: "
      + "OpenID Connect Core §2)")
  void authTimeIsTheSignIn() throws Exception {
    Started started = authenticationRequest("openid profile");
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page profile = codeAccepted(browser, started, "later@example.com");
    long signedInBy = Instant.now().getEpochSecond();
    assertTrue(profile.body().contains("name=\"name\""), "a new user is asked the profile: " + profile);
    Await.until("the clock to pass two seconds after the code", Duration.ofSeconds(5),
        () -> Instant.now().getEpochSecond() >= signedInBy + 2);
    FormBrowser.Page done = browser.submit(profile, Map.of("name", "Lea Late", "address", "Rua Nova 2, Porto",
        "action", "profile"));
    assertEquals(302, done.status(), done.toString());
    AuthorizationCode code = AuthenticationResponseParser.parse(URI.create(done.location())).toSuccessResponse()
        .getAuthorizationCode();

    OIDCTokenResponse tokens = (OIDCTokenResponse) exchange(code, CALLBACK, started.verifier()).toSuccessResponse();
    IDTokenClaimsSet claims = new IDTokenValidator(new Issuer(issuer), new ClientID(appId), JWSAlgorithm.RS256,
        provider.getJWKSetURI().toURL()).validate(tokens.getOIDCTokens().getIDToken(), started.nonce());
    long authTime = claims.getAuthenticationTime().toInstant().getEpochSecond();
    assertTrue(authTime <= signedInBy, "auth_time " + authTime + " is at most the second the code was accepted by, "
        + signedInBy);
    assertTrue(claims.getIssueTime().toInstant().getEpochSecond() >= signedInBy + 2, "issued after the profile step");
  }

  @Test
  @DisplayName("authorize refuses by redirect, with error and state: no PKCE, plain PKCE, no openid scope, prompt=none, "
      + "another response_type, request objects (OpenID Connect Core §6: request_not_supported, "
      + "request_uri_not_supported)")
  void authorizeRedirectErrors() {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    String ok = "/oidc/" + appId + "/authorize?client_id=" + appId + "&redirect_uri=" + FormBrowser.encode(CALLBACK)
        + "&state=st-1&nonce=n-1";
    String challenge = "&code_challenge=" + "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put(ok + "&response_type=code&scope=openid", "invalid_request");
    cases.put(ok + "&response_type=code&scope=openid" + challenge + "&code_challenge_method=plain", "invalid_request");
    cases.put(ok + "&response_type=code&scope=openid" + challenge, "invalid_request");
    cases.put(ok + "&response_type=code&scope=email" + challenge + "&code_challenge_method=S256", "invalid_scope");
    cases.put(ok + "&response_type=code&scope=openid&prompt=none" + challenge + "&code_challenge_method=S256", "login_required");
    cases.put(ok + "&response_type=code&scope=openid&prompt=none+login" + challenge + "&code_challenge_method=S256",
        "invalid_request");
    cases.put(ok + "&response_type=token&scope=openid" + challenge + "&code_challenge_method=S256", "unsupported_response_type");
    cases.put(ok + "&response_type=code&scope=openid" + challenge + "&code_challenge_method=S256&request=e30.e30.",
        "request_not_supported");
    cases.put(ok + "&response_type=code&scope=openid" + challenge + "&code_challenge_method=S256&request_uri="
        + FormBrowser.encode("https://rp.example.com/request.jwt"), "request_uri_not_supported");
    cases.forEach((url, error) -> {
      FormBrowser.Page page = browser.get(url);
      assertEquals(302, page.status(), url + " -> " + page);
      assertTrue(page.location().startsWith(CALLBACK + "?"), page.location());
      Map<String, String> params = query(page.location());
      assertEquals(error, params.get("error"), url);
      assertEquals("st-1", params.get("state"), url);
      assertEquals(issuer, params.get("iss"), "RFC 9207 on an error too: " + url);
    });
  }

  @Test
  @DisplayName("a semicolon in the query is part of a value, not a separator: a state with one comes back whole and "
      + "cannot carry another parameter (h52)")
  void semicolonIsPartOfTheValue() {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page page = browser.get("/oidc/" + appId + "/authorize?client_id=" + appId + "&redirect_uri="
        + FormBrowser.encode(CALLBACK) + "&state=ab;prompt=login&nonce=n-1&response_type=code&scope=openid&prompt=none"
        + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
    assertEquals(302, page.status(), page.toString());
    Map<String, String> params = query(page.location());
    assertEquals("login_required", params.get("error"), page.location());
    assertEquals("ab;prompt=login", params.get("state"), page.location());
  }

  @Test
  @DisplayName("authorize takes its parameters as a form POST too (OpenID Connect Core 3.1.2.1), and signs in the same")
  void authorizeByPost() {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    Map<String, String> params = new LinkedHashMap<>();
    params.put("client_id", appId);
    params.put("redirect_uri", CALLBACK);
    params.put("response_type", "code");
    params.put("scope", "openid");
    params.put("state", "st-post");
    params.put("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    params.put("code_challenge_method", "S256");
    // Answered with a 303 to the same request as a GET, which carries the browser's SameSite=Lax cookie.
    FormBrowser.Page seeOther = browser.post("/oidc/" + appId + "/authorize", params);
    assertEquals(303, seeOther.status(), seeOther.toString());
    assertEquals(null, seeOther.header("Set-Cookie"), "no flow, no cookie, until the GET");
    FormBrowser.Page page = browser.get(seeOther.location());
    assertEquals(200, page.status(), page.toString());
    assertTrue(page.body().contains("name=\"identity\""), page.body());
    params.put("response_type", "token");
    FormBrowser.Page refused = browser.get(browser.post("/oidc/" + appId + "/authorize", params).location());
    assertEquals(302, refused.status(), refused.toString());
    assertEquals("unsupported_response_type", query(refused.location()).get("error"));
    assertEquals("st-post", query(refused.location()).get("state"));
  }

  @Test
  @DisplayName("authorize shows an error page, never a redirect, for an unregistered redirect_uri or another client_id")
  void authorizeErrorPages() {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    String tail = "&response_type=code&scope=openid&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        + "&code_challenge_method=S256";
    for (String url : List.of(
        "/oidc/" + appId + "/authorize?client_id=" + appId + "&redirect_uri=" + FormBrowser.encode(CALLBACK + "/evil") + tail,
        "/oidc/" + appId + "/authorize?client_id=" + appId + tail,
        "/oidc/" + appId + "/authorize?client_id=someone-else&redirect_uri=" + FormBrowser.encode(CALLBACK) + tail)) {
      FormBrowser.Page page = browser.get(url);
      assertEquals(400, page.status(), url);
      assertNull(page.location(), url);
    }
  }

  @Test
  @DisplayName("the console app is no OpenID Connect provider and has no sign-in page: 404 and error pages, as an "
      + "unknown app (h74)")
  void consoleIsNoProvider() {
    String console = "00000000-0000-0000-0000-000000000001";
    assertEquals(404, gateway.http().get("/oidc/" + console + "/.well-known/openid-configuration").status());
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    String callback = FormBrowser.encode(CALLBACK);
    for (String url : List.of("/oidc/" + console + "/authorize?client_id=" + console + "&redirect_uri=" + callback
            + "&response_type=code&scope=openid&state=s&code_challenge_method=S256"
            + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "/onboarding/" + console + "?callback_url=" + callback + "&state=s")) {
      FormBrowser.Page page = browser.get(url);
      assertTrue(page.status() == 400 || page.status() == 404, url + " " + page.status());
      assertNull(page.location(), url);
      assertFalse(page.body().contains("csrf_token"), "no sign-in form for the console: " + url);
    }
  }

  @Test
  @DisplayName("a parameter sent without a value counts as omitted (RFC 6749 §3.1, §3.2): an empty response_mode or "
      + "request starts the sign-in, an empty client_secret or client_id beside Basic credentials is no second method")
  void emptyParametersAreOmitted() {
    FormBrowser browser = new FormBrowser(gateway.config().httpPort());
    FormBrowser.Page page = browser.get("/oidc/" + appId + "/authorize?client_id=" + appId + "&redirect_uri="
        + FormBrowser.encode(CALLBACK) + "&response_type=code&scope=openid&state=s&code_challenge="
        + "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&response_mode=&request=&request_uri=");
    assertEquals(200, page.status(), page.toString());
    assertTrue(page.body().contains("name=\"identity\""), page.body());
    ApiResponse refresh = form("/oidc/" + appId + "/token", Map.of("grant_type", "refresh_token", "refresh_token", "x",
        "client_secret", "", "client_id", ""), "Authorization", basicHeader());
    assertEquals(400, refresh.status(), refresh.body());
    assertEquals("invalid_grant", refresh.json().getString("error"), refresh.body());

    // An empty copy first does not hide a second, non-empty one.
    FormBrowser.Page smuggled = browser.get("/oidc/" + appId + "/authorize?client_id=" + appId + "&redirect_uri="
        + FormBrowser.encode(CALLBACK) + "&response_type=code&scope=openid&state=s&code_challenge="
        + "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&request=&request=eyJhbGciOiJub25lIn0.e30.");
    assertEquals(302, smuggled.status(), smuggled.toString());
    assertEquals("invalid_request", query(smuggled.location()).get("error"));
    ApiResponse otherClient = gateway.http().send("POST", "/oidc/" + appId + "/token",
        "grant_type=refresh_token&refresh_token=x&client_id=&client_id=someone-else",
        "Content-Type", "application/x-www-form-urlencoded", "Authorization", basicHeader());
    assertEquals(400, otherClient.status(), otherClient.body());
    assertEquals("invalid_request", otherClient.json().getString("error"), otherClient.body());
  }

  @Test
  @DisplayName("a wrong code_verifier is invalid_grant and spends the code; a malformed one is invalid_request")
  void wrongVerifierSpendsTheCode() throws Exception {
    Started started = authenticationRequest("openid email");
    AuthorizationCode code = signIn(started, "bo-guessed@example.com").toSuccessResponse().getAuthorizationCode();
    for (String malformed : List.of("short", "x".repeat(129), "has space " + "x".repeat(40))) {
      ApiResponse refused = form("/oidc/" + appId + "/token", Map.of("grant_type", "authorization_code",
          "code", code.getValue(), "redirect_uri", CALLBACK, "code_verifier", malformed), "Authorization", basicHeader());
      assertEquals(400, refused.status(), malformed);
      assertEquals("invalid_request", refused.json().getString("error"), malformed);
    }
    TokenResponse wrongVerifier = exchange(code, CALLBACK, new CodeVerifier());
    assertEquals("invalid_grant", wrongVerifier.toErrorResponse().getErrorObject().getCode());
    TokenResponse right = exchange(code, CALLBACK, started.verifier());
    assertFalse(right.indicatesSuccess(), "the wrong verifier spent the code");
    assertEquals("invalid_grant", right.toErrorResponse().getErrorObject().getCode());
  }

  @Test
  @DisplayName("a code is invalid_grant once its redirect_uri is removed from the app's callback URLs, and a deleted user's too")
  void deadGrants() throws Exception {
    Started started = authenticationRequest("openid email");
    AuthorizationCode code = signIn(started, "bo-removed@example.com").toSuccessResponse().getAuthorizationCode();
    String other = "https://rp.example.com/other";
    assertEquals(200, patchCallbacks(List.of(other)).status());
    try {
      TokenResponse refused = exchange(code, CALLBACK, started.verifier());
      assertEquals("invalid_grant", refused.toErrorResponse().getErrorObject().getCode());
    } finally {
      assertEquals(200, patchCallbacks(List.of(CALLBACK)).status());
    }

    Started again = authenticationRequest("openid email");
    AuthorizationCode orphan = signIn(again, "bo-deleted@example.com").toSuccessResponse().getAuthorizationCode();
    String userId = gateway.http().get("/v1/apps/" + appId + "/users?q=bo-deleted%40example.com",
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY)
        .json().getJsonArray("users").getJsonObject(0).getString("id");
    assertEquals(200, gateway.http().send("DELETE", "/v1/apps/" + appId + "/users/" + userId, null,
        "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY).status());
    TokenResponse gone = exchange(orphan, CALLBACK, again.verifier());
    assertEquals("invalid_grant", gone.toErrorResponse().getErrorObject().getCode(), gone.toErrorResponse().toString());
  }

  private static ApiResponse patchCallbacks(List<String> urls) {
    return gateway.http().send("PATCH", "/v1/apps/" + appId,
        new JsonObject().put("callback_urls", new JsonArray(urls)).encode(),
        "Content-Type", "application/json", "Authorization", "Bearer " + dev.portcullis.testing.TestGateway.ADMIN_KEY);
  }

  @Test
  @DisplayName("a redirect_uri mismatch is invalid_grant; a reused code revokes what the first use issued")
  void codeExchangeErrors() throws Exception {
    Started started = authenticationRequest("openid email");
    AuthorizationCode code = signIn(started, "bo@example.com").toSuccessResponse().getAuthorizationCode();

    TokenResponse wrongRedirect = exchange(code, CALLBACK + "/other", started.verifier());
    assertEquals("invalid_grant", wrongRedirect.toErrorResponse().getErrorObject().getCode());

    ApiResponse noVerifier = form("/oidc/" + appId + "/token", Map.of("grant_type", "authorization_code",
        "code", code.getValue(), "redirect_uri", CALLBACK), "Authorization", basicHeader());
    assertEquals(400, noVerifier.status());
    assertEquals("invalid_request", noVerifier.json().getString("error"));
    assertEquals("no-store", noVerifier.header("Cache-Control"));

    // The Autz.org userinfo endpoint takes its own flows' codes only: an OIDC code there gives no profile beyond
    // the granted scopes, with or without client credentials, and stays redeemable at the token endpoint.
    String autzUserinfo = "/api/client/" + appId + "/userinfo?code=" + FormBrowser.encode(code.getValue())
        + "&code_verifier=" + FormBrowser.encode(started.verifier().getValue());
    for (ApiResponse elsewhere : List.of(gateway.http().get(autzUserinfo),
        gateway.http().get(autzUserinfo, "Authorization", basicHeader()))) {
      assertEquals(400, elsewhere.status(), elsewhere.body());
      assertEquals("invalid_grant", elsewhere.error());
      assertFalse(elsewhere.body().contains("bo@example.com"), elsewhere.body());
    }

    TokenResponse first = exchange(code, CALLBACK, started.verifier());
    assertTrue(first.indicatesSuccess(), first.toString());
    OIDCTokenResponse tokens = (OIDCTokenResponse) first.toSuccessResponse();
    assertNull(tokens.getOIDCTokens().getRefreshToken(), "no offline_access, no refresh token");
    String access = tokens.getOIDCTokens().getAccessToken().getValue();
    assertEquals(200, userinfo(access).status());

    TokenResponse second = exchange(code, CALLBACK, started.verifier());
    assertEquals("invalid_grant", second.toErrorResponse().getErrorObject().getCode());
    ApiResponse after = userinfo(access);
    assertEquals(401, after.status(), "the first use's tokens are revoked: " + after);
    assertTrue(after.header("WWW-Authenticate").startsWith("Bearer"));
    assertEquals(401, gateway.http().get("/auth/me", Http.bearer(access)).status());
  }

  @Test
  @DisplayName("a code presented again while its first presentation is still making its tokens: neither gets tokens, "
      + "and the session the first opened is revoked (h22: the first answered 200 with tokens already revoked)")
  void racedCodeGivesNoTokens() throws Exception {
    Started started = authenticationRequest("openid email");
    String email = "raced@example.com";
    AuthorizationCode code = signIn(started, email).toSuccessResponse().getAuthorizationCode();
    // The first presentation's session is opened; its OpenID Connect record is held until the second one is over.
    try (SlowTrigger slow = new SlowTrigger(gateway, "oidc_sessions", "BEFORE INSERT ON oidc_sessions FOR EACH ROW",
        gateway.config().backendTimeoutMs() / 4)) {
      CompletableFuture<TokenResponse> first = CompletableFuture.supplyAsync(() -> {
        try {
          return exchange(code, CALLBACK, started.verifier());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Await.until("the first presentation records its session", Duration.ofSeconds(10),
          () -> gateway.count("SELECT count(*) FROM pg_stat_activity WHERE "
              + "datname = current_database() AND state = 'active' "
              + "AND query LIKE 'INSERT INTO oidc_sessions%'") == 1);
      TokenResponse second = exchange(code, CALLBACK, started.verifier());
      assertEquals("invalid_grant", second.toErrorResponse().getErrorObject().getCode());
      TokenResponse firstAnswer = first.get(30, TimeUnit.SECONDS);
      assertFalse(firstAnswer.indicatesSuccess(), "the first presentation gets no tokens: " + firstAnswer);
      assertEquals("invalid_grant", firstAnswer.toErrorResponse().getErrorObject().getCode());
    }
    assertEquals(0, gateway.count("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
        + "WHERE u.app_id = '" + appId + "' AND u.email = '" + email + "' AND s.revoked_at IS NULL"));
  }

  @Test
  @DisplayName("a refresh token used twice is invalid_grant (refresh_token_reused) and ends the session")
  void refreshReuse() throws Exception {
    OIDCTokenResponse tokens = offlineTokens("cy@example.com");
    RefreshToken original = tokens.getOIDCTokens().getRefreshToken();
    OIDCTokenResponse rotated = (OIDCTokenResponse) refresh(original).toSuccessResponse();

    TokenResponse reused = refresh(original);
    assertFalse(reused.indicatesSuccess());
    assertEquals("invalid_grant", reused.toErrorResponse().getErrorObject().getCode());
    assertEquals("refresh_token_reused", reused.toErrorResponse().getErrorObject().getDescription());
    assertEquals(401, userinfo(rotated.getOIDCTokens().getAccessToken().getValue()).status(), "the session is revoked");
    assertEquals("invalid_grant", refresh(rotated.getOIDCTokens().getRefreshToken()).toErrorResponse().getErrorObject().getCode());
  }

  @Test
  @DisplayName("userinfo without a token is a bare Bearer challenge (RFC 6750 §3.1); with a bad one, invalid_token; "
      + "with two, invalid_request")
  void userinfoChallenges() {
    ApiResponse none = gateway.http().get("/oidc/" + appId + "/userinfo");
    assertEquals(401, none.status());
    assertEquals("Bearer realm=\"oidc\"", none.header("WWW-Authenticate"));
    ApiResponse bad = userinfo("not-a-token");
    assertEquals(401, bad.status());
    assertEquals("Bearer realm=\"oidc\", error=\"invalid_token\"", bad.header("WWW-Authenticate"));
    assertEquals("invalid_token", bad.json().getString("error"));
    ApiResponse twice = gateway.http().send("POST", "/oidc/" + appId + "/userinfo", "access_token=a.b.c",
        "Content-Type", "application/x-www-form-urlencoded", "Authorization", "Bearer a.b.c");
    assertEquals(400, twice.status());
    assertEquals("Bearer realm=\"oidc\", error=\"invalid_request\"", twice.header("WWW-Authenticate"),
        "RFC 6750 §3: a malformed request's challenge says so");
  }

  @Test
  @DisplayName("a refresh's scope may repeat or narrow the granted scopes (200), never widen them (invalid_scope)")
  void refreshScope() throws Exception {
    OIDCTokenResponse tokens = offlineTokens("sc@example.com");
    String token = "/oidc/" + appId + "/token";
    ApiResponse wider = form(token, Map.of("grant_type", "refresh_token", "scope", "openid email",
        "refresh_token", tokens.getOIDCTokens().getRefreshToken().getValue()), "Authorization", basicHeader());
    assertEquals(400, wider.status(), wider.body());
    assertEquals("invalid_scope", wider.json().getString("error"));
    ApiResponse repeated = form(token, Map.of("grant_type", "refresh_token", "scope", "openid  openid",
        "refresh_token", tokens.getOIDCTokens().getRefreshToken().getValue()), "Authorization", basicHeader());
    assertEquals(200, repeated.status(), repeated.body());
    assertNotNull(repeated.json().getString("access_token"));
  }

  @Test
  @DisplayName("an OIDC session refreshed through the REST API keeps the OIDC issuer in its access tokens")
  void restRefreshKeepsOidcIssuer() throws Exception {
    OIDCTokenResponse tokens = offlineTokens("ed@example.com");
    ApiResponse rest = gateway.http().post("/auth/refresh", new JsonObject().put("app_id", appId)
        .put("app_secret", app.getString("app_secret"))
        .put("refresh_token", tokens.getOIDCTokens().getRefreshToken().getValue()));
    assertEquals(200, rest.status(), rest.body());
    String access = rest.json().getString("access_token");
    assertEquals(issuer, com.nimbusds.jwt.SignedJWT.parse(access).getJWTClaimsSet().getIssuer());
    assertEquals(200, userinfo(access).status(), "still an OIDC session's token");
  }

  @Test
  @DisplayName("revoking a refresh or access token ends its session; unknown tokens answer 200; the client must authenticate "
      + "and send a form")
  void revocation() throws Exception {
    OIDCTokenResponse tokens = offlineTokens("di@example.com");
    String access = tokens.getOIDCTokens().getAccessToken().getValue();
    String revoke = "/oidc/" + appId + "/revoke";

    ApiResponse anonymous = form(revoke, Map.of("token", access));
    assertEquals(401, anonymous.status());
    assertEquals("invalid_client", anonymous.json().getString("error"));
    assertNotNull(anonymous.header("WWW-Authenticate"));

    ApiResponse json = gateway.http().send("POST", revoke, new JsonObject().put("token", access).encode(),
        "Content-Type", "application/json", "Authorization", basicHeader());
    assertEquals(400, json.status());
    assertEquals("the body must be application/x-www-form-urlencoded", json.json().getString("error_description"));
    assertEquals(200, userinfo(access).status());

    int revocations = audit.of(Revocation.REVOKED, appId).size();
    assertEquals(200, form(revoke, Map.of("token", "no-such-token"), "Authorization", basicHeader()).status());
    assertEquals(200, userinfo(access).status());
    assertEquals(revocations, audit.of(Revocation.REVOKED, appId).size(), "a revocation that revoked nothing");

    ApiResponse revoked = form(revoke, Map.of("token", tokens.getOIDCTokens().getRefreshToken().getValue(),
        "token_type_hint", "refresh_token"), "Authorization", basicHeader());
    assertEquals(200, revoked.status(), revoked.toString());
    assertEquals(401, userinfo(access).status(), "revoke then userinfo");
    assertEquals("invalid_grant", refresh(tokens.getOIDCTokens().getRefreshToken()).toErrorResponse().getErrorObject().getCode());
    assertEquals(revocations + 1, audit.of(Revocation.REVOKED, appId).size());
    // Named like every OIDC event, with its user and session; its session.revoked says why (h74: user_id null, and
    // reason "logout" for a refresh token, "oidc_revocation" for an access token).
    String requestId = revoked.header("X-Request-Id");
    JsonObject event = audit.of(Revocation.REVOKED, appId).stream()
        .filter(candidate -> requestId.equals(candidate.getString("request_id"))).findFirst().orElseThrow();
    assertNotNull(event.getString("user_id"), event.encode());
    assertNotNull(event.getJsonObject("data").getString("session_id"), event.encode());
    JsonObject ended = audit.of("session.revoked", appId).stream()
        .filter(candidate -> requestId.equals(candidate.getString("request_id"))).findFirst().orElseThrow();
    assertEquals(Revocation.REASON, ended.getJsonObject("data").getString("reason"), ended.encode());
    assertEquals(event.getJsonObject("data").getString("session_id"),
        ended.getJsonObject("data").getString("session_id"));

    // A spent refresh token (RFC 7009 2.2: an invalid token is answered 200), its session ending as a reuse.
    RefreshToken spent = offlineTokens("dj@example.com").getOIDCTokens().getRefreshToken();
    OIDCTokenResponse rotated = (OIDCTokenResponse) refresh(spent).toSuccessResponse();
    ApiResponse spentRevoked = form(revoke, Map.of("token", spent.getValue()), "Authorization", basicHeader());
    assertEquals(200, spentRevoked.status(), spentRevoked.toString());
    assertEquals(401, userinfo(rotated.getOIDCTokens().getAccessToken().getValue()).status(), "the session ended");
  }

  @Test
  @DisplayName("the token endpoint answers RFC 6749 errors: unknown grant type, missing grant type, wrong secret")
  void tokenEndpointErrors() {
    String token = "/oidc/" + appId + "/token";
    ApiResponse unsupported = form(token, Map.of("grant_type", "client_credentials"), "Authorization", basicHeader());
    assertEquals(400, unsupported.status());
    assertEquals("unsupported_grant_type", unsupported.json().getString("error"));
    assertNotNull(unsupported.json().getString("error_description"));
    ApiResponse missing = form(token, Map.of("client_id", appId, "client_secret", app.getString("app_secret")));
    assertEquals("invalid_request", missing.json().getString("error"));
    ApiResponse wrong = form(token, Map.of("grant_type", "refresh_token", "refresh_token", "x", "client_id", appId,
        "client_secret", "wrong"));
    assertEquals(401, wrong.status());
    assertEquals("invalid_client", wrong.json().getString("error"));
    String metrics = gateway.management().get("/metrics").body();
    assertTrue(metrics.contains("portcullis_oidc_token_requests_total{grant_type=\"other\",outcome=\"unsupported_grant_type\"}"),
        "token requests are counted by grant type and outcome");
    assertEquals(List.of(), metrics.lines().filter(line -> line.startsWith("# HELP portcullis_"))
        .filter(line -> line.split(" ").length <= 3).toList(), "every gateway metric says what it counts");
  }

  @Test
  @DisplayName("tokens of a REST API login work at neither userinfo nor the OIDC refresh; POST userinfo takes a form access_token")
  void restSessionsAreNotOidcSessions() throws Exception {
    String email = "rest@example.com";
    int before = codesSentTo(email);
    JsonObject credentials = new JsonObject().put("app_id", appId).put("app_secret", app.getString("app_secret"));
    ApiResponse sent = gateway.http().post("/auth/send-otp", credentials.copy().put("email", email));
    assertEquals(200, sent.status(), sent.toString());
    ApiResponse login = gateway.http().post("/auth/verify-otp", credentials.copy()
        .put("otp_request_id", sent.json().getString("otp_request_id")).put("otp", code(email, before)));
    assertEquals(200, login.status(), login.toString());
    ApiResponse info = userinfo(login.json().getString("access_token"));
    assertEquals(401, info.status());
    assertEquals("invalid_token", info.error());
    TokenResponse refreshed = refresh(new RefreshToken(login.json().getString("refresh_token")));
    assertEquals("invalid_grant", refreshed.toErrorResponse().getErrorObject().getCode());
    assertEquals(200, gateway.http().post("/auth/refresh", credentials.copy()
        .put("refresh_token", login.json().getString("refresh_token"))).status(), "the REST token was not spent");

    Started started = authenticationRequest("openid phone");
    AuthorizationCode code = signIn(started, "eve@example.com").toSuccessResponse().getAuthorizationCode();
    OIDCTokenResponse tokens = (OIDCTokenResponse) exchange(code, CALLBACK, started.verifier()).toSuccessResponse();
    ApiResponse posted = form("/oidc/" + appId + "/userinfo",
        Map.of("access_token", tokens.getOIDCTokens().getAccessToken().getValue()));
    assertEquals(200, posted.status(), posted.toString());
    assertEquals(new JsonObject().put("sub", posted.json().getString("sub")), posted.json(),
        "an email user with the phone scope has no phone claims, and no email claims without the email scope");
    assertEquals(404, gateway.http().get("/oidc/" + java.util.UUID.randomUUID() + "/.well-known/openid-configuration").status());
    ApiResponse discovery = gateway.http().get("/oidc/" + appId + "/.well-known/openid-configuration");
    assertEquals("public, max-age=300", discovery.header("Cache-Control"), "discovery is cacheable, as the README says");
    assertEquals("*", discovery.header("Access-Control-Allow-Origin"), "a browser client may read discovery");
    assertEquals("*", gateway.http().get("/oidc/" + appId + "/jwks.json").header("Access-Control-Allow-Origin"),
        "and the keys");
  }
}
