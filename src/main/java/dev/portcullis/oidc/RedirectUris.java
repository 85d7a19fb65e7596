package dev.portcullis.oidc;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Answers to a registered redirect_uri: its own query kept, ours appended (null values left out). */
final class RedirectUris {

  private RedirectUris() {
  }

  static String withParams(String redirectUri, String... namesAndValues) {
    StringBuilder url = new StringBuilder(redirectUri);
    char separator = redirectUri.contains("?") ? '&' : '?';
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] == null) {
        continue;
      }
      url.append(separator).append(namesAndValues[i]).append('=')
          .append(URLEncoder.encode(namesAndValues[i + 1], StandardCharsets.UTF_8));
      separator = '&';
    }
    return url.toString();
  }
}
