package dev.portcullis.bench;

/** One logged-in session as a client backend holds it: the newest access and refresh token. */
final class Session {

  String accessToken;
  String refreshToken;

  Session(String accessToken, String refreshToken) {
    this.accessToken = accessToken;
    this.refreshToken = refreshToken;
  }
}
