package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.benchmark.IngestBenchmark;

class PillowBaselineTest {
  private static final String PYTHON = "/usr/bin/python3";

  @TempDir Path dir;

  /** The shipped script runs on pnet's bench images and its rate is read back. */
  @Test
  void readsTheScriptsRate() throws Exception {
    boolean pillow;
    try {
      pillow = new ProcessBuilder(PYTHON, "-c", "import PIL").start().waitFor() == 0;
    } catch (IOException e) {
      pillow = false;
    }
    assumeTrue(pillow, "needs Pillow (python3-pil, which CI's Jupyter brings)");
    List<byte[]> jpegs = IngestBenchmark.sampleJpegs(22, 120, 90, 90, 3);
    for (int i = 0; i < jpegs.size(); i++) {
      Files.write(dir.resolve("img_" + i + ".jpg"), jpegs.get(i));
    }
    OptionalDouble rate = PillowBaseline.run(PYTHON, dir, 64, 90, 1);
    assertTrue(rate.isPresent() && rate.getAsDouble() > 0, "rate " + rate);
  }

  @Test
  void aMissingPythonIsReportedNotThrown() throws Exception {
    assertFalse(PillowBaseline.run("/nonexistent/python3", dir, 64, 90, 1).isPresent());
  }
}
