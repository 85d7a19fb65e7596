package dev.portcullis.core;

import java.util.regex.Pattern;

/**
 * Text that pages, codes' messages and the console show as it was given (an app's name, a page title, a profile
 * answer): no control characters and no bidirectional overrides or isolates, which would let a value reorder or
 * hide what is printed around it ("\u202Eevil" shows reversed).
 */
public final class DisplayText {

  // \p{Cc}: the C1 controls too (U+0080-U+009F, \p{Cntrl} is ASCII's alone); the line and paragraph separators
  // U+2028/U+2029 break a line as a newline does; U+206A-U+206F (deprecated shaping and swapping controls) and
  // U+FFF9-U+FFFB (interlinear annotation) change how the text around them is shown. Not U+200E/U+200F: the plain
  // direction marks of right-to-left and mixed-script names reorder nothing around them; nor the joiners names need.
  private static final Pattern HIDDEN =
      Pattern.compile("[\\p{Cc}\\u2028\\u2029\\u202A-\\u202E\\u2066-\\u206F\\uFFF9-\\uFFFB]");

  /**
   * A character that shows something: a letter, digit, punctuation or symbol, but not the Hangul fillers (letters
   * by category, blank on screen), the blank Braille pattern nor the musical null notehead (symbols that draw
   * nothing).
   */
  private static final Pattern VISIBLE =
      Pattern.compile("[\\p{L}\\p{N}\\p{P}\\p{S}&&[^\\u115F\\u1160\\u3164\\uFFA0\\u2800\\x{1D159}]]");

  private DisplayText() {
  }

  /**
   * The characters of {@code text} as a reader counts them, and as Postgres's {@code char_length} does: code points,
   * so a limit of 100 takes 100 emoji, not 50 (h63: String.length counts UTF-16 units).
   */
  public static int characters(String text) {
    return text.codePointCount(0, text.length());
  }

  /**
   * A name an owner gives (an app's, a tenant's, a policy's), trimmed: 1 to {@code max} characters, clean, and with
   * at least one character that shows (one of zero-width spaces or fillers alone lists as a blank), else
   * {@code 400 invalid_request} naming {@code name}.
   */
  public static String name(String raw, int max) {
    String name = raw.trim();
    if (name.isEmpty() || characters(name) > max) {
      throw ApiException.invalid("name", "must be 1 to " + max + " characters");
    }
    return requireVisible("name", name);
  }

  /**
   * {@code text} as given when it is clean and shows something (one character of those that draw: a text of
   * zero-width spaces or fillers alone shows as a blank), else {@code 400 invalid_request} naming {@code field}.
   */
  public static String requireVisible(String field, String text) {
    require(field, text);
    if (!VISIBLE.matcher(text).find()) {
      throw ApiException.invalid(field, "must contain a letter, digit, punctuation mark or symbol");
    }
    return text;
  }

  public static boolean isClean(String text) {
    return !HIDDEN.matcher(text).find();
  }

  /**
   * {@code text} as given when it is clean, else {@code 400 invalid_request} naming {@code field}: the one wording
   * of this refusal for every display string a request sets. Null (an optional field left out) passes.
   */
  public static String require(String field, String text) {
    if (text != null && !isClean(text)) {
      throw ApiException.invalid(field, "must not contain control or text-direction characters");
    }
    return text;
  }

  /**
   * The text without those characters, for showing a value stored before they were refused (or by an older
   * process during a rolling upgrade); null stays null.
   */
  public static String shown(String text) {
    return text == null ? null : HIDDEN.matcher(text).replaceAll("");
  }
}
