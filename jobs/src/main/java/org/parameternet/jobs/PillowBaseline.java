package org.parameternet.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the straightforward Pillow script shipped in this jar ({@code
 * bench/pillow_ingest_baseline.py}) on a folder of JPEGs and reads its images/s, so {@code bench
 * ingest} compares against Pillow on the same files, on the same machine, minutes apart.
 */
final class PillowBaseline {
  private static final Pattern RATE = Pattern.compile("-> ([0-9.]+) images/s");

  private PillowBaseline() {}

  /** Images/s of the script, or empty (with the reason printed) when it cannot run here. */
  static OptionalDouble run(String python, Path images, int resize, int quality, int rounds)
      throws IOException, InterruptedException {
    Path script = Files.createTempFile("pillow_ingest_baseline", ".py");
    try {
      try (InputStream in =
          PillowBaseline.class.getResourceAsStream("/bench/pillow_ingest_baseline.py")) {
        Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
      }
      Path log = Files.createTempFile("pillow_ingest_baseline", ".log");
      String output;
      int exit;
      try {
        Process process;
        try {
          process =
              new ProcessBuilder(
                      List.of(
                          python,
                          script.toString(),
                          images.toString(),
                          "--resize",
                          Integer.toString(resize),
                          "--quality",
                          Integer.toString(quality),
                          "--rounds",
                          Integer.toString(rounds)))
                  .redirectErrorStream(true)
                  .redirectOutput(log.toFile())
                  .start();
        } catch (IOException e) {
          System.out.println("  Pillow baseline: skipped, " + python + " did not start: " + e);
          return OptionalDouble.empty();
        }
        if (!process.waitFor(30, TimeUnit.MINUTES)) {
          process.destroyForcibly().waitFor();
          System.out.println("  Pillow baseline: skipped, still running after 30 minutes");
          return OptionalDouble.empty();
        }
        output = Files.readString(log);
        exit = process.exitValue();
      } finally {
        Files.deleteIfExists(log);
      }
      Matcher rate = RATE.matcher(output);
      if (exit != 0 || !rate.find()) {
        String[] lines = output.strip().split("\n");
        System.out.println(
            "  Pillow baseline: skipped ("
                + python
                + " needs Pillow, Debian's python3-pil): "
                + lines[lines.length - 1]);
        return OptionalDouble.empty();
      }
      System.out.println("  " + output.strip());
      return OptionalDouble.of(Double.parseDouble(rate.group(1)));
    } finally {
      Files.deleteIfExists(script);
    }
  }
}
