package dev.portcullis.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A statement longer than the client's prepared-statement cache takes is parsed and planned by Postgres on every
 * call (the OTP sign-in's cost 0.7 ms of planning a login that way). Every SQL constant of the gateway must fit.
 */
@DisplayName("Prepared statements stay cached")
class StatementCacheTest {

  private record Statement(String where, String sql) {
  }

  @Test
  @DisplayName("every SQL constant of the gateway fits the client's prepared-statement cache, the longest included")
  void everyStatementFits() throws Exception {
    List<Statement> statements = sqlConstants();
    assertTrue(statements.size() > 100, "SQL constants found: " + statements.size());
    Statement longest = statements.stream().max(Comparator.comparingInt(s -> s.sql().length())).orElseThrow();
    assertTrue(longest.sql().length() > 2_048, "the scan reaches the long statements: " + longest.where());
    Predicate<String> cached = Postgres.connectOptions(new PgUrl("db", 5432, "auth", "app", null))
        .getPreparedStatementCacheSqlFilter();
    for (Statement statement : statements) {
      assertTrue(cached.test(statement.sql()), statement.where() + " (" + statement.sql().length()
          + " characters) is not kept prepared by the client: raise Postgres.CACHED_SQL_LIMIT");
    }
  }

  /** The static final strings of the gateway's classes that are SQL statements (initialising those classes). */
  private static List<Statement> sqlConstants() throws Exception {
    Path classes = Path.of(Postgres.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Statement> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> type = Class.forName(name, true, StatementCacheTest.class.getClassLoader());
        for (Field field : type.getDeclaredFields()) {
          int modifiers = field.getModifiers();
          if (field.getType() == String.class && Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers)) {
            field.setAccessible(true);
            String value = (String) field.get(null);
            if (value != null && isStatement(value)) {
              found.add(new Statement(name + "." + field.getName(), value));
            }
          }
        }
      }
    }
    return found;
  }

  private static boolean isStatement(String text) {
    String head = text.stripLeading().toUpperCase(Locale.ROOT);
    return Stream.of("SELECT ", "WITH ", "INSERT ", "UPDATE ", "DELETE ").anyMatch(head::startsWith);
  }
}
