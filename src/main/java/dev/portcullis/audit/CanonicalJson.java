package dev.portcullis.audit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one text form of a JSON value that the audit hash is computed over: object keys sorted by UTF-16 code
 * units, no whitespace, strings escaped as in RFC 8785 (JCS), numbers as plain decimals without exponent
 * or trailing zeros ({@code 5.0} is {@code 5}, {@code 1.5E-3} is {@code 0.0015}). It only depends on the
 * JSON value, so a row read back from Postgres (jsonb reorders keys and rewrites number spellings) encodes
 * exactly as it did before it was written.
 */
final class CanonicalJson {

  private CanonicalJson() {
  }

  static String encode(Object value) {
    StringBuilder out = new StringBuilder(128);
    write(out, value);
    return out.toString();
  }

  private static void write(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String text) {
      string(out, text);
    } else if (value instanceof Boolean flag) {
      out.append(flag.booleanValue());
    } else if (value instanceof Number number) {
      out.append(number(number));
    } else if (value instanceof JsonObject object) {
      object(out, object.getMap());
    } else if (value instanceof Map<?, ?> map) {
      object(out, map);
    } else if (value instanceof JsonArray array) {
      array(out, array.getList());
    } else if (value instanceof List<?> list) {
      array(out, list);
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass().getSimpleName());
    }
  }

  private static void object(StringBuilder out, Map<?, ?> map) {
    List<String> keys = new ArrayList<>(map.size());
    map.keySet().forEach(key -> keys.add((String) key));
    keys.sort(null); // String order is UTF-16 code unit order, as JCS sorts
    out.append('{');
    for (int i = 0; i < keys.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      string(out, keys.get(i));
      out.append(':');
      write(out, map.get(keys.get(i)));
    }
    out.append('}');
  }

  private static void array(StringBuilder out, List<?> list) {
    out.append('[');
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      write(out, list.get(i));
    }
    out.append(']');
  }

  static String number(Number number) {
    if (number instanceof Integer || number instanceof Long || number instanceof Short || number instanceof Byte
        || number instanceof BigInteger) {
      return number.toString();
    }
    BigDecimal decimal;
    if (number instanceof BigDecimal exact) {
      decimal = exact;
    } else {
      double value = number.doubleValue();
      if (!Double.isFinite(value)) {
        throw new IllegalArgumentException("not a JSON number: " + value);
      }
      decimal = number instanceof Float ? new BigDecimal(Float.toString(number.floatValue()))
          : new BigDecimal(Double.toString(value));
    }
    if (decimal.signum() == 0) {
      return "0";
    }
    BigDecimal stripped = decimal.stripTrailingZeros();
    return stripped.scale() <= 0 ? stripped.toBigIntegerExact().toString() : stripped.toPlainString();
  }

  private static void string(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
