package dev.portcullis.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test class whose assertions bound wall-clock time: how long an answer took, timings compared between two kinds
 * of request, or a change that must be seen by another process within a second or two. Maven runs the other classes
 * in three JVMs at once, and these afterwards in one, so that no other test class shares the machine's two cores with
 * them (the {@code alone} execution of surefire in {@code pom.xml}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("alone")
public @interface RunsAlone {
}
