package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the shaded jar through Spark's own SparkSubmit, as a user's spark-submit would. */
final class SparkSubmitter {
  /**
   * What a finished spark-submit left: exit code, its standard output by line, and the last lines
   * of its standard error (where pnet's error messages and Spark's log go).
   */
  /** What spark-submit printed: stdout's lines, stderr's last 40 lines and all of stderr. */
  record Result(int exitCode, List<String> lines, String errorTail, String error) {
    String text() {
      return String.join("\n", lines) + (exitCode == 0 ? "" : "\nstderr:\n" + errorTail);
    }
  }

  private SparkSubmitter() {}

  static Path shadedJar() throws IOException {
    try (var files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("parameternet-jobs-.*-spark\\.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("shaded jar missing; run mvn package"));
    }
  }

  /** Spark's jars as Maven resolved them (the spark-runtime module's classpath). */
  static List<String> sparkJars() throws IOException {
    return Arrays.asList(
        Files.readString(Path.of("../spark-runtime/target/spark-classpath.txt"))
            .trim()
            .split(File.pathSeparator));
  }

  static List<String> javaWithFlags() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(javaFlags().split(" ")));
    command.removeIf(String::isBlank);
    return command;
  }

  static String javaFlags() {
    return System.getProperty("pnet.java17.flags", "");
  }

  /** {@code spark-submit --master <master> [--conf k=v ...] --class Pnet <jar> <args>}. */
  static List<String> command(String master, List<String> confs, String... args)
      throws IOException {
    List<String> command = javaWithFlags();
    command.addAll(
        List.of(
            "-cp",
            String.join(File.pathSeparator, sparkJars()),
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            master,
            "--conf",
            "spark.driver.host=127.0.0.1"));
    for (String conf : confs) {
      command.add("--conf");
      command.add(conf);
    }
    command.addAll(List.of("--class", Pnet.class.getName(), shadedJar().toString()));
    command.addAll(Arrays.asList(args));
    return command;
  }

  static Process start(List<String> command, File out, Map<String, String> env) throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(out).redirectError(errorFile(out));
    builder.environment().putAll(env);
    return builder.start();
  }

  static Result finish(Process process, File out, long minutes) throws Exception {
    boolean done = process.waitFor(minutes, TimeUnit.MINUTES);
    if (!done) {
      process.destroyForcibly();
    }
    assertTrue(done, "spark-submit did not finish in " + minutes + " min");
    List<String> err = Files.readAllLines(errorFile(out).toPath(), StandardCharsets.UTF_8);
    return new Result(
        process.exitValue(),
        Files.readAllLines(out.toPath(), StandardCharsets.UTF_8),
        String.join("\n", err.subList(Math.max(0, err.size() - 40), err.size())),
        String.join("\n", err));
  }

  private static File errorFile(File out) {
    return new File(out.getPath() + ".err");
  }

  static Result run(List<String> command, Map<String, String> env) throws Exception {
    File out = File.createTempFile("spark-submit", ".out");
    return finish(start(command, out, env), out, 10);
  }
}
