package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
  @TempDir java.nio.file.Path dir;

  /**
   * What a round flushed is on disk before the log is closed, as a killed driver leaves it: a few
   * short records (Hadoop's checksummed local stream used to hold its last ~4.6 KB back).
   */
  @Test
  void flushedRecordsReachTheFileBeforeClose() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path out = new Path(dir.toUri());
    try (MetricsLog log = new MetricsLog(fs, out, 1, 0)) {
      for (int step = 1; step <= 5; step++) {
        log.write(MetricsLog.Kind.STEPS, Map.of("iteration", step, "loss", 2.0 / step));
      }
      log.flush();
      java.nio.file.Path steps;
      try (Stream<java.nio.file.Path> files = Files.list(dir.resolve("metrics"))) {
        steps =
            files.filter(f -> f.getFileName().toString().startsWith("steps-")).findFirst().get();
      }
      assertEquals(5, Files.readAllLines(steps).size(), "lines on disk before close");
      assertEquals(5, MetricsLog.read(fs, out, MetricsLog.Kind.STEPS).size());
    }
  }
}
