package dev.portcullis.user;

import dev.portcullis.core.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/**
 * Keyset position in a newest-first list (users, sessions, tenants, members): the (time, id) of the last item
 * of a page, opaque to clients. Pages stay stable while items are added: each page starts strictly after the
 * last item of the one before, so no item is answered twice.
 */
public record PageCursor(OffsetDateTime at, UUID id) {

  /** Before every item: where the first page starts. */
  public static final PageCursor FIRST = new PageCursor(OffsetDateTime.parse("9999-12-31T23:59:59Z"), new UUID(-1L, -1L));

  /** The cursor a client sent back, or {@link #FIRST} when it sent none. */
  public static PageCursor parse(String text) {
    if (text == null || text.isEmpty()) {
      return FIRST;
    }
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      int bar = decoded.indexOf('|');
      return new PageCursor(OffsetDateTime.parse(decoded.substring(0, bar)), UUID.fromString(decoded.substring(bar + 1)));
    } catch (IllegalArgumentException | DateTimeParseException | IndexOutOfBoundsException e) {
      throw ApiException.invalid("cursor", "is not a cursor this API returned");
    }
  }

  public String encode() {
    String plain = at + "|" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }
}
