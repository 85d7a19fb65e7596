package dev.portcullis.boot;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The versioned SQL scripts of {@code db/migration} in the jar (or the classes directory) this class was loaded
 * from, each with the checksum Flyway stores for it in {@code flyway_schema_history}: the CRC-32 of the UTF-8
 * bytes of its lines without their line breaks, after a leading byte-order mark. Lets a restart see that the
 * database already holds every script without starting Flyway, whose own start loads some 2,000 classes.
 * Blocking (reads the jar): call it on a worker.
 */
final class MigrationScripts {

  static final String LOCATION = "db/migration";

  /** One versioned script: {@code V<version>__<description>.sql}, with Flyway's {@code _} to {@code .} in the version. */
  record Script(String version, int checksum) {
  }

  private static final Pattern VERSIONED = Pattern.compile("V([0-9]+(?:[._][0-9]+)*)__[^/]+\\.sql");

  private MigrationScripts() {
  }

  /**
   * The scripts in version order, or empty when the location holds something this class does not model
   * (a repeatable or undo script, a callback, another file) or cannot be read: Flyway decides then.
   */
  static Optional<List<Script>> read() {
    try {
      Path source = Path.of(MigrationScripts.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isDirectory(source) ? fromDirectory(source.resolve(LOCATION)) : fromJar(source);
    } catch (IOException | URISyntaxException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The newest version among the scripts (versions compare part by part, as numbers). */
  static String latest(List<Script> scripts) {
    return scripts.stream()
        .map(Script::version)
        .max(MigrationScripts::compareVersions)
        .orElse("none");
  }

  private static Optional<List<Script>> fromJar(Path jar) throws IOException {
    List<Script> scripts = new ArrayList<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      for (JarEntry entry : file.stream().toList()) {
        String name = entry.getName();
        if (entry.isDirectory() || !name.startsWith(LOCATION + "/")) {
          continue;
        }
        Optional<String> version = version(name.substring(LOCATION.length() + 1));
        if (version.isEmpty()) {
          return Optional.empty();
        }
        try (InputStream in = file.getInputStream(entry)) {
          scripts.add(new Script(version.get(), checksum(in)));
        }
      }
    }
    return Optional.of(sorted(scripts));
  }

  private static Optional<List<Script>> fromDirectory(Path directory) throws IOException {
    List<Script> scripts = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> listing = Files.list(directory)) {
      files = listing.toList();
    }
    for (Path path : files) {
      Optional<String> version = Files.isRegularFile(path) ? version(path.getFileName().toString()) : Optional.empty();
      if (version.isEmpty()) {
        return Optional.empty();
      }
      try (InputStream in = Files.newInputStream(path)) {
        scripts.add(new Script(version.get(), checksum(in)));
      }
    }
    return Optional.of(sorted(scripts));
  }

  private static Optional<String> version(String fileName) {
    Matcher matcher = VERSIONED.matcher(fileName);
    return matcher.matches() ? Optional.of(matcher.group(1).replace('_', '.')) : Optional.empty();
  }

  /** Flyway's checksum of a script: line-ending independent, so a checkout with CRLF gives the same one. */
  static int checksum(InputStream in) throws IOException {
    CRC32 crc = new CRC32();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line = reader.readLine();
    if (line != null && line.startsWith("\uFEFF")) {
      line = line.substring(1);
    }
    for (; line != null; line = reader.readLine()) {
      crc.update(line.getBytes(StandardCharsets.UTF_8));
    }
    return (int) crc.getValue();
  }

  static List<Script> sorted(List<Script> scripts) {
    return scripts.stream()
        .sorted(Comparator.comparing(Script::version, MigrationScripts::compareVersions))
        .toList();
  }

  private static int compareVersions(String left, String right) {
    String[] a = left.split("\\.");
    String[] b = right.split("\\.");
    for (int i = 0; i < Math.max(a.length, b.length); i++) {
      BigInteger x = new BigInteger(i < a.length ? a[i] : "0");
      int order = x.compareTo(new BigInteger(i < b.length ? b[i] : "0"));
      if (order != 0) {
        return order;
      }
    }
    return 0;
  }
}
