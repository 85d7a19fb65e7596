package dev.portcullis.audit;

import dev.portcullis.core.ApiException;
import dev.portcullis.http.Fields;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The filters of {@code GET /v1/apps/{app_id}/audit}. Pages go newest first by {@code seq}; the cursor is
 * the {@code seq} of the last event of the page before, so events written meanwhile never shift a page.
 */
record AuditQuery(String type, UUID userId, Instant since, Instant until, int limit, Long beforeSeq) {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 500;
  private static final Pattern FINER_THAN_NANOS = Pattern.compile("(.*\\.[0-9]{9})([0-9]+)(.*)");
  private static final String CURSOR_PREFIX = "seq:";

  static AuditQuery from(MultiMap params) {
    String type = param(params, "type");
    if (type != null && type.length() > 64) {
      throw ApiException.invalid("type", "must be at most 64 characters");
    }
    return new AuditQuery(type, userId(param(params, "user_id")), time(params, "since"), time(params, "until"),
        limit(emptyAsAbsent(params.get("limit"))), beforeSeq(param(params, "cursor")));
  }

  static String cursor(long seq) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString((CURSOR_PREFIX + seq).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A parameter, or null when it is absent or empty ({@code ?type=&limit=10} filters by nothing but limit). One
   * given twice never gets here ({@link dev.portcullis.http.RepeatedQueryParameters}). A limit given is read as it
   * is, as every list reads it: {@code limit=+5} and {@code limit=%205} are 400 here too (h66).
   */
  private static String param(MultiMap params, String name) {
    String value = params.get(name);
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static String emptyAsAbsent(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  private static UUID userId(String value) {
    if (value == null) {
      return null;
    }
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("user_id", "must be a UUID");
    }
  }

  private static Instant time(MultiMap params, String name) {
    String value = param(params, name);
    if (value == null) {
      return null;
    }
    try {
      // An unencoded '+' of an offset arrives as a space. RFC 3339 years have four digits, which Postgres can hold.
      String text = value.replace(' ', '+');
      // RFC 3339 takes any number of fraction digits, java.time nine: past them, only whether any is not 0 counts.
      Matcher fraction = FINER_THAN_NANOS.matcher(text);
      boolean finer = fraction.matches() && !fraction.group(2).chars().allMatch(c -> c == '0');
      OffsetDateTime time = OffsetDateTime.parse(fraction.matches() ? fraction.group(1) + fraction.group(3) : text);
      if (time.getYear() < 1 || time.getYear() > 9999 || !Character.isDigit(value.charAt(0))) {
        throw new DateTimeParseException("year out of RFC 3339's range", value, 0);
      }
      return upToTheMicrosecond(finer ? time.toInstant().plusNanos(1) : time.toInstant());
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(name, "must be an RFC 3339 time such as 2026-01-31T12:00:00Z");
    }
  }

  /**
   * Events are stored to the microsecond: a bound between two microseconds is moved up to the next one, which
   * keeps {@code since} inclusive and {@code until} exclusive for every event (Postgres would round it instead).
   */
  static Instant upToTheMicrosecond(Instant time) {
    Instant whole = time.truncatedTo(ChronoUnit.MICROS);
    return whole.equals(time) ? time : whole.plus(1, ChronoUnit.MICROS);
  }

  private static int limit(String value) {
    if (value == null) {
      return DEFAULT_LIMIT;
    }
    int limit = Fields.positiveInt(value);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.invalid("limit", "must be an integer from 1 to " + MAX_LIMIT);
    }
    return limit;
  }

  private static Long beforeSeq(String cursor) {
    if (cursor == null) {
      return null;
    }
    try {
      String decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (decoded.startsWith(CURSOR_PREFIX)) {
        long seq = Long.parseLong(decoded.substring(CURSOR_PREFIX.length()));
        if (seq > 0) {
          return seq;
        }
      }
    } catch (IllegalArgumentException e) {
      // falls through to the answer below (NumberFormatException is an IllegalArgumentException too)
    }
    throw ApiException.invalid("cursor", "is not a cursor this API returned");
  }
}
