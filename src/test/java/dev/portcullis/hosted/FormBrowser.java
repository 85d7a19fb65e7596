package dev.portcullis.hosted;

import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A browser without JavaScript, as far as the hosted pages can tell: its own cookie jar, no automatic redirects,
 * forms sent as application/x-www-form-urlencoded with their hidden fields.
 */
public final class FormBrowser {

  private static final Pattern HIDDEN = Pattern.compile("<input type=\"hidden\" name=\"([a-z_]+)\" value=\"([^\"]*)\">");
  private static final Pattern ACTION = Pattern.compile("<form method=\"post\" action=\"([^\"]+)\"");

  /** One answer: what a user's browser received. */
  public record Page(int status, HttpHeaders headers, String body) {

    public String location() {
      return headers.firstValue("Location").orElse(null);
    }

    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    public Map<String, String> hidden() {
      Map<String, String> fields = new LinkedHashMap<>();
      Matcher matcher = HIDDEN.matcher(body);
      while (matcher.find()) {
        fields.put(matcher.group(1), matcher.group(2));
      }
      return fields;
    }

    /**
     * What the page's proof-of-work script would put in {@code pow_solution}: the first counter whose SHA-256 of
     * {@code token:counter} begins with the form's difficulty in zero bits; empty when the form asks for none.
     */
    public String powSolution() {
      Matcher token = Pattern.compile("data-pow-token=\"([^\"]+)\"").matcher(body);
      Matcher difficulty = Pattern.compile("data-pow-difficulty=\"([0-9]+)\"").matcher(body);
      if (!token.find() || !difficulty.find() || Integer.parseInt(difficulty.group(1)) == 0) {
        return "";
      }
      int bits = Integer.parseInt(difficulty.group(1));
      try {
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        for (long counter = 0; ; counter++) {
          byte[] digest = sha.digest((token.group(1) + ":" + counter).getBytes(StandardCharsets.UTF_8));
          if (new java.math.BigInteger(1, digest).bitLength() <= 256 - bits) {
            return Long.toString(counter);
          }
        }
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    public String action() {
      Matcher matcher = ACTION.matcher(body);
      if (!matcher.find()) {
        throw new AssertionError("no form on the page: " + this);
      }
      return matcher.group(1);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  private final String base;
  private final HttpClient client;

  public FormBrowser(int port) {
    this.base = "http://127.0.0.1:" + port;
    this.client = HttpClient.newBuilder()
        .cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL))
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  public Page get(String pathOrUrl) {
    return send(HttpRequest.newBuilder(uri(pathOrUrl)).GET());
  }

  /** Submits the page's form with its hidden fields and these fields. */
  public Page submit(Page page, Map<String, String> fields) {
    Map<String, String> all = new LinkedHashMap<>(page.hidden());
    all.putAll(fields);
    return post(page.action(), all);
  }

  public Page post(String path, Map<String, String> fields) {
    String body = fields.entrySet().stream()
        .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
        .collect(Collectors.joining("&"));
    return send(HttpRequest.newBuilder(uri(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private URI uri(String pathOrUrl) {
    return URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl);
  }

  private Page send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Page(response.statusCode(), response.headers(), response.body());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
