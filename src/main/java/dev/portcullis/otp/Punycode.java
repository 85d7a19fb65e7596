package dev.portcullis.otp;

import java.util.ArrayList;
import java.util.List;

/**
 * The Unicode form of an {@code xn--} label that is Punycode (RFC 3492) decoding to at least one non-ASCII code
 * point. Java's {@link java.net.IDN} cannot tell: it applies IDNA2003's round trip and hands back its input for
 * labels valid under IDNA2008 (faß, final sigma, joiners), so it would refuse real domains.
 */
final class Punycode {
  private static final int BASE = 36;
  private static final int T_MIN = 1;
  private static final int T_MAX = 26;
  private static final int SKEW = 38;
  private static final int DAMP = 700;
  private static final int INITIAL_BIAS = 72;
  private static final int INITIAL_N = 128;
  private static final String PREFIX = "xn--";

  private Punycode() {
  }

  /** The label's Unicode form, or null when it is not Punycode that decodes to at least one non-ASCII code point. */
  static String decode(String label) {
    if (!label.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return null;
    }
    String input = label.substring(PREFIX.length());
    int delimiter = input.lastIndexOf('-');
    int in = delimiter > 0 ? delimiter + 1 : 0;
    if (in >= input.length()) {
      return null;
    }
    List<Integer> output = new ArrayList<>();
    for (int b = 0; b < Math.max(delimiter, 0); b++) {
      output.add((int) input.charAt(b));
    }
    long n = INITIAL_N;
    long i = 0;
    int bias = INITIAL_BIAS;
    while (in < input.length()) {
      long oldI = i;
      long weight = 1;
      for (int k = BASE; ; k += BASE) {
        if (in >= input.length()) {
          return null;
        }
        int digit = digit(input.charAt(in++));
        if (digit < 0) {
          return null;
        }
        i += digit * weight;
        int threshold = k <= bias ? T_MIN : Math.min(k - bias, T_MAX);
        if (digit < threshold) {
          break;
        }
        weight *= BASE - threshold;
        if (i > Character.MAX_CODE_POINT * 64L || weight > Character.MAX_CODE_POINT * 64L) {
          return null;
        }
      }
      int length = output.size() + 1;
      bias = adapt(i - oldI, length, oldI == 0);
      n += i / length;
      i %= length;
      if (n > Character.MAX_CODE_POINT || n >= Character.MIN_SURROGATE && n <= Character.MAX_SURROGATE) {
        return null;
      }
      output.add((int) i, (int) n);
      i++;
    }
    StringBuilder decoded = new StringBuilder();
    output.forEach(decoded::appendCodePoint);
    return decoded.toString();
  }

  private static int digit(char c) {
    if (c >= 'a' && c <= 'z') {
      return c - 'a';
    }
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    return c >= '0' && c <= '9' ? c - '0' + 26 : -1;
  }

  private static int adapt(long delta, int points, boolean first) {
    delta = first ? delta / DAMP : delta / 2;
    delta += delta / points;
    int k = 0;
    while (delta > ((BASE - T_MIN) * T_MAX) / 2) {
      delta /= BASE - T_MIN;
      k += BASE;
    }
    return (int) (k + (BASE - T_MIN + 1) * delta / (delta + SKEW));
  }
}
