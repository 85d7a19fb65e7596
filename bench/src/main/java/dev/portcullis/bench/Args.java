package dev.portcullis.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --key value} command-line options. */
final class Args {

  private final Map<String, String> values = new HashMap<>();

  Args(String[] args, int from) {
    for (int i = from; i < args.length; i++) {
      String key = args[i];
      if (!key.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --key value, got '" + key + "'");
      }
      values.put(key.substring(2), args[++i]);
    }
  }

  String string(String key) {
    String value = values.get(key);
    if (value == null) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return value;
  }

  String string(String key, String fallback) {
    return values.getOrDefault(key, fallback);
  }

  int integer(String key, int fallback) {
    String value = values.get(key);
    return value == null ? fallback : Integer.parseInt(value);
  }

  double decimal(String key, double fallback) {
    String value = values.get(key);
    return value == null ? fallback : Double.parseDouble(value);
  }
}
