package dev.portcullis.password;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The 10,000 most common passwords, bundled as {@code password/common-passwords.txt} (its header names the
 * source). Compared lower-cased after NFKC, so {@code Password} and {@code ＰＡＳＳＷＯＲＤ} are both common.
 */
public final class CommonPasswords {

  private static final String RESOURCE = "/password/common-passwords.txt";
  private static final Set<String> LIST = load();

  private CommonPasswords() {
  }

  /** {@code normalised} is NFKC already. */
  public static boolean contains(String normalised) {
    return LIST.contains(normalised.toLowerCase(Locale.ROOT));
  }

  static int size() {
    return LIST.size();
  }

  private static Set<String> load() {
    try (InputStream in = CommonPasswords.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      Set<String> words = new HashSet<>(16_384);
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (!line.isEmpty() && !line.startsWith("#")) {
          words.add(line);
        }
      }
      return Set.copyOf(words);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
