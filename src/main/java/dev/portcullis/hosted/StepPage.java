package dev.portcullis.hosted;

import java.util.List;

/**
 * What one hosted page shows: the app's branding, the form of the current step (or none on an error page), and
 * any error or notice. Every value is escaped by the templates; none is trusted HTML.
 *
 * @param action    where the form posts, or null for a page without a form
 * @param masked    the masked identity a code went to (code step) or will go to (a fixed identity)
 * @param allowPhone true when the identity field takes a phone number too ({@code hosted_sms})
 * @param powToken  the proof-of-work challenge the browser's script solves, or null
 */
public record StepPage(String title, String logoUrl, String appName, String action, String flowId, String csrf,
                       String step, String error, String notice, String identity, String masked, boolean allowPhone,
                       String powToken, int powDifficulty, List<Field> fields) {

  /**
   * One answer field of the profile step. {@code options} is empty for a free-text field; {@code invalid}: the page's
   * error is about this field.
   */
  public record Field(String name, String label, String type, String autocomplete, String value, List<String> options,
                      int maxLength, boolean invalid) {

    /** The value of this input's {@code aria-invalid}: "true" when the error is about it, else none. */
    public String ariaInvalid() {
      return invalid ? "true" : null;
    }

    /** The value of this input's {@code aria-describedby}: the page's error when it is about this field. */
    public String describedBy() {
      return invalid ? "error" : null;
    }
  }

  /** True when a code asked for instead of a password needs the page's proof of work: a text message, not an email. */
  public boolean codeNeedsWork() {
    return powDifficulty > 0 && masked != null && !masked.contains("@");
  }

  public boolean hasError() {
    return error != null;
  }

  /** The value of {@code aria-invalid} for the step's inputs: "true" with an error, else none. */
  public String invalid() {
    return error == null ? null : "true";
  }

  /**
   * The page's {@code <title>}: what the step asks for, then the app's title, so a screen reader's user tells the
   * steps apart (h87).
   */
  public String pageTitle() {
    String asked = step == null ? "Sign-in problem" : switch (step) {
      case "password" -> "Your password";
      case "code" -> "Your code";
      case "profile" -> "Your details";
      default -> "Sign in";
    };
    return asked + " – " + title;
  }

  /** The identity input's {@code aria-describedby}: the error, and the hint on phone numbers when it is shown. */
  public String identityDescribedBy() {
    String hint = allowPhone ? "identity-hint" : null;
    if (error == null) {
      return hint;
    }
    return hint == null ? "error" : "error " + hint;
  }

  /** The value of {@code aria-describedby} for the step's inputs: the error, when there is one. */
  public String describedBy() {
    return error == null ? null : "error";
  }
}
