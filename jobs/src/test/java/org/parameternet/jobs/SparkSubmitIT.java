package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar, submitted with Spark's own SparkSubmit (from the Maven-resolved stand-in for a
 * Spark distribution), runs the same subcommands as bin/pnet.
 */
class SparkSubmitIT {

  private static List<String> sparkSubmit(String... args) throws IOException {
    return SparkSubmitter.command("local[2]", List.of(), args);
  }

  private static List<String> run(List<String> command) throws Exception {
    SparkSubmitter.Result r = SparkSubmitter.run(command, Map.of());
    assertEquals(0, r.exitCode(), r.text());
    return r.lines();
  }

  @Test
  void synthThenIngestRunThroughSparkSubmit(@TempDir Path dir) throws Exception {
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
    assertEquals(
        "model,experts,branches,params,inference_params,flops,resolution,classes", lines.get(0));
    assertTrue(lines.get(1).startsWith("ghostnet_600m,0,1,198"), lines.get(1));
    assertTrue(lines.get(2).startsWith("parameternet_600m,4,1,345"), lines.get(2));
  }
}
