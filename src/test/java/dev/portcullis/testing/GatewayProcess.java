package dev.portcullis.testing;

import java.io.File;
import java.nio.file.Path;

/** A gateway in a process of its own ({@code dev.portcullis.Main} on this JVM's class path), for signals and exits. */
public final class GatewayProcess {

  private GatewayProcess() {
  }

  /** The process to start, its output (both streams) going to {@code log}; set its environment before starting. */
  public static ProcessBuilder builder(Path log) {
    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.portcullis.Main")
        .directory(new File("."))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
  }
}
