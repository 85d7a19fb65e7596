package dev.portcullis.core;

/** Digits as people type them on keyboards of other scripts (full-width, Arabic-Indic, Devanagari...). */
public final class Digits {

  private Digits() {
  }

  /** {@code text} with every Unicode decimal digit replaced by its ASCII digit; the rest left as it is. */
  public static String ascii(String text) {
    StringBuilder ascii = new StringBuilder(text.length());
    text.codePoints().forEach(c -> ascii.appendCodePoint(Character.isDigit(c) ? '0' + Character.digit(c, 10) : c));
    return ascii.toString();
  }
}
