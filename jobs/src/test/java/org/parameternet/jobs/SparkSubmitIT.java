package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar, submitted with Spark's own SparkSubmit (from the Maven-resolved stand-in for a
 * Spark distribution), runs the same subcommands as bin/pnet.
 */
class SparkSubmitIT {

  private static Path shadedJar() throws IOException {
    try (var files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("parameternet-jobs-.*-spark\\.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("shaded jar missing; run mvn package"));
    }
  }

  private static List<String> sparkSubmit(String... args) throws IOException {
    String sparkClasspath =
        Files.readString(Path.of("../spark-runtime/target/spark-classpath.txt")).trim();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("pnet.java17.flags", "").split(" ")));
    command.removeIf(String::isBlank);
    command.addAll(
        List.of(
            "-cp",
            sparkClasspath,
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            "local[2]",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--class",
            Pnet.class.getName(),
            shadedJar().toString()));
    command.addAll(Arrays.asList(args));
    return command;
  }

  private static List<String> run(List<String> command) throws Exception {
    File out = File.createTempFile("spark-submit", ".out");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertTrue(process.waitFor(5, TimeUnit.MINUTES), "spark-submit did not finish");
    List<String> lines = Files.readAllLines(out.toPath(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), String.join("\n", lines));
    return lines;
  }

  @Test
  void synthThenIngestRunThroughSparkSubmit(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    String data = dir.resolve("synth").toUri().toString();
    run(
        sparkSubmit(
            "synth",
            "--out",
            data,
            "--classes-22k",
            "8",
            "--classes-1k",
            "3",
            "--min-per-class",
            "3",
            "--max-per-class",
            "5",
            "--train-per-class",
            "4",
            "--val-per-class",
            "2",
            "--size",
            "48",
            "--bad-inputs"));
    String out = dir.resolve("in22k").toUri().toString();
    List<String> lines =
        run(
            sparkSubmit(
                "ingest",
                "--source",
                data + "/in22k/fall11_whole.tar",
                "--format",
                "in22k",
                "--out",
                out,
                "--resize",
                "32"));
    String last = lines.get(lines.size() - 1);
    assertTrue(last.startsWith("ingest: "), last);
    assertTrue(last.contains("+ 5 quarantined"), last);
    assertTrue(Files.exists(dir.resolve("in22k/_dataset.json")));
  }

  @Test
  void modelsRunsThroughSparkSubmit() throws Exception {
    List<String> lines =
        run(sparkSubmit("models", "--format", "csv", "--model", "ghostnet_600m,parameternet_600m"));
    assertEquals(3, lines.size(), String.join("\n", lines));
    assertEquals("model,experts,params,flops,resolution,classes", lines.get(0));
    assertTrue(lines.get(1).startsWith("ghostnet_600m,0,198"), lines.get(1));
    assertTrue(lines.get(2).startsWith("parameternet_600m,4,345"), lines.get(2));
  }
}
