package dev.portcullis.app;

import dev.portcullis.core.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/**
 * Keyset position in a newest-first list (apps, licenses, users, sessions, tenants, members): (time, id) of the
 * last row of a page, opaque to clients.
 */
public record AppCursor(OffsetDateTime createdAt, UUID id) {

  /** Before every app: where the first page starts. */
  public static final AppCursor FIRST = new AppCursor(OffsetDateTime.parse("9999-12-31T23:59:59Z"),
      new UUID(-1L, -1L));

  static AppCursor after(App app) {
    return new AppCursor(app.createdAt(), app.id());
  }

  /** The cursor a client sent back, or {@link #FIRST} when it sent none. */
  public static AppCursor parse(String text) {
    if (text == null || text.isEmpty()) {
      return FIRST;
    }
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      int bar = decoded.indexOf('|');
      return new AppCursor(OffsetDateTime.parse(decoded.substring(0, bar)), UUID.fromString(decoded.substring(bar + 1)));
    } catch (IllegalArgumentException | DateTimeParseException | IndexOutOfBoundsException e) {
      throw ApiException.invalid("cursor", "is not a cursor this API returned");
    }
  }

  public String encode() {
    String plain = createdAt + "|" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }
}
