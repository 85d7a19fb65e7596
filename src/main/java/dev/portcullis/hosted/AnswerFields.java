package dev.portcullis.hosted;

import dev.portcullis.core.DisplayText;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The answer fields a profile step may ask for: the app's profile fields ({@code name}, {@code address},
 * {@code gender}, {@code dob}) and the conversations' identity fields, each with its label, input type and rule.
 * {@code EMAIL} and {@code PHONE} are never asked: they come from the identity the user proved.
 */
public final class AnswerFields {

  public static final List<String> PROVEN = List.of("EMAIL", "PHONE");

  private enum Rule { TEXT, DATE, CHOICE }

  private record Definition(String label, String type, String autocomplete, Rule rule, int maxLength) {
  }

  private static final List<String> GENDERS = List.of("female", "male", "other");
  private static final Map<String, Definition> FIELDS = new LinkedHashMap<>();

  static {
    FIELDS.put("name", new Definition("Full name", "text", "name", Rule.TEXT, 200));
    FIELDS.put("address", new Definition("Address", "text", "street-address", Rule.TEXT, 500));
    FIELDS.put("gender", new Definition("Gender", "text", "sex", Rule.CHOICE, 20));
    FIELDS.put("dob", new Definition("Date of birth", "date", "bday", Rule.DATE, 10));
    FIELDS.put("PERSON_NAME_FIRSTNAME", new Definition("First name", "text", "given-name", Rule.TEXT, 200));
    FIELDS.put("PERSON_NAME_LASTNAME", new Definition("Last name", "text", "family-name", Rule.TEXT, 200));
    FIELDS.put("PERSON_DATE_OF_BIRTH", new Definition("Date of birth", "date", "bday", Rule.DATE, 10));
    FIELDS.put("ADDRESS", new Definition("Address", "text", "street-address", Rule.TEXT, 500));
  }

  private AnswerFields() {
  }

  /** True for a field a conversation may request: the askable ones and the proven ones. */
  public static boolean isIdentityField(String name) {
    return PROVEN.contains(name) || name.equals(name.toUpperCase(java.util.Locale.ROOT)) && FIELDS.containsKey(name);
  }

  /** True for a field the user's profile keeps ({@code name}, {@code address}, {@code gender}, {@code dob}). */
  static boolean isProfileField(String name) {
    return FIELDS.containsKey(name) && name.equals(name.toLowerCase(java.util.Locale.ROOT));
  }

  static StepPage.Field view(String name, String value, boolean invalid) {
    Definition field = FIELDS.get(name);
    List<String> options = field.rule() == Rule.CHOICE ? GENDERS : List.of();
    return new StepPage.Field(name, field.label(), field.type(), field.autocomplete(), value, options,
        field.maxLength(), invalid);
  }

  /** The normalised answer, empty when the field was left blank; a problem is an {@link IllegalArgumentException}. */
  static Optional<String> read(String name, String raw) {
    Definition field = FIELDS.get(name);
    String value = raw == null ? "" : raw.strip();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    // U+FFFD: what the form decoder leaves of bytes that were no UTF-8, which the JSON API refuses as well.
    if (DisplayText.characters(value) > field.maxLength() || !DisplayText.isClean(value)
        || value.indexOf('\uFFFD') >= 0) {
      throw new IllegalArgumentException(field.label() + " is too long or holds characters it cannot hold.");
    }
    switch (field.rule()) {
      case DATE -> {
        try {
          LocalDate date = LocalDate.parse(value);
          if (date.isBefore(LocalDate.of(1850, 1, 1)) || date.isAfter(LocalDate.now())) {
            throw new IllegalArgumentException(field.label() + " must be a date from 1850-01-01 to today.");
          }
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException(field.label() + " must be a date such as 1990-02-14.");
        }
      }
      case CHOICE -> {
        if (!GENDERS.contains(value)) {
          throw new IllegalArgumentException(field.label() + " must be one of " + String.join(", ", GENDERS) + ".");
        }
      }
      default -> {
      }
    }
    return Optional.of(value);
  }

  static String label(String name) {
    Definition field = FIELDS.get(name);
    return field == null ? name : field.label();
  }
}
