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

  private DisplayText() {
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
