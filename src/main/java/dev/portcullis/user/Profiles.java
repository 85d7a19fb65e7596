package dev.portcullis.user;

import dev.portcullis.core.ApiException;
import dev.portcullis.core.DisplayText;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Map;

/** The profile fields {name, address, gender, dob}: strings within bounds, dob an ISO date from 1850 to today. */
public final class Profiles {

  private static final Map<String, Integer> MAX_LENGTH = Map.of("name", 200, "address", 500, "gender", 50, "dob", 10);

  private Profiles() {
  }

  /**
   * The profile fields of a request, checked and trimmed. In a change ({@code change} true) a null value
   * removes the field; in a new profile it is the same as leaving it out.
   */
  public static JsonObject read(Object value, boolean change) {
    if (value == null) {
      return change ? null : new JsonObject();
    }
    if (!(value instanceof JsonObject given)) {
      throw ApiException.invalid("profile", "must be an object");
    }
    JsonObject out = new JsonObject();
    for (String field : given.fieldNames()) {
      Integer max = MAX_LENGTH.get(field);
      String path = "profile." + field;
      if (max == null) {
        throw ApiException.invalid(path, "is not a profile field (name, address, gender, dob)");
      }
      Object raw = given.getValue(field);
      if (raw == null) {
        if (change) {
          out.putNull(field);
        }
        continue;
      }
      if (!(raw instanceof String text)) {
        throw ApiException.invalid(path, "must be a string or null");
      }
      String trimmed = text.trim();
      if (DisplayText.characters(trimmed) > max) {
        throw ApiException.invalid(path, "must be at most " + max + " characters");
      }
      // An address may run over lines; nothing else may hide or reorder text where it is shown.
      DisplayText.require(path, field.equals("address") ? trimmed.replaceAll("\r?\n|[\u2028\u2029]", " ") : trimmed);
      if (field.equals("dob") && !trimmed.isEmpty()) {
        dob(path, trimmed);
      }
      if (!trimmed.isEmpty()) {
        out.put(field, trimmed);
      } else if (change) {
        out.putNull(field);
      }
    }
    return out;
  }

  private static void dob(String path, String text) {
    try {
      LocalDate date = LocalDate.parse(text);
      if (date.isAfter(LocalDate.now()) || date.getYear() < 1850) {
        throw ApiException.invalid(path, "must be a date from 1850-01-01 to today");
      }
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(path, "must be a date as YYYY-MM-DD");
    }
  }
}
