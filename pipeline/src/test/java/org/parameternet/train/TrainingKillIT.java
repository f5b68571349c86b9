package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training drivers in their own JVMs ({@link TrainingChild}), killed with SIGKILL as a user's would
 * be, then resumed.
 */
class TrainingKillIT {
  @TempDir static java.nio.file.Path dir;
  static TrainingFixture fixture;
  static FileSystem fs;

  @BeforeAll
  static void setUp() throws IOException {
    fixture = new TrainingFixture(dir);
    fs = FileSystem.getLocal(new Configuration());
  }

  @AfterAll
  static void tearDown() {
    fixture.close();
  }

  /**
   * The driver killed with SIGKILL, once between rounds and once while it writes a checkpoint:
   * resuming continues from the last complete checkpoint (the dead process's lock taken over), the
   * merged step log has every step exactly once, and the parameters end as an uninterrupted run's.
   */
  @Test
  void aDriverKilledTwiceResumesToTheUninterruptedRunsParameters() throws Exception {
    String[] settings = {"epochs = 2", "checkpoint.every-rounds = 2", "checkpoint.keep = 10"};
    TrainingSummary whole = Trainer.run(fixture.spark, fixture.config("unkilled", settings), false);
    TrainConfig config = fixture.config("killed", settings);
    java.nio.file.Path out = java.nio.file.Path.of(URI.create(config.out()));
    java.nio.file.Path checkpoints = out.resolve("checkpoints");

    Process first = TrainingChild.start(config, false, fixture.dir, "local[2]");
    awaitOrFail(first, () -> completeCheckpoints(checkpoints) >= 1 && stepLines(out) > 0, 240);
    first.destroyForcibly().waitFor(); // SIGKILL
    long afterFirstKill = MetricsLog.read(fs, new Path(config.out()), MetricsLog.Kind.STEPS).size();
    assertTrue(afterFirstKill > 0, "steps were logged before the kill");

    int before = completeCheckpoints(checkpoints);
    Process second = TrainingChild.start(config, true, fixture.dir, "local[2]");
    awaitOrFail(
        second, () -> writing(checkpoints) || completeCheckpoints(checkpoints) > before, 240);
    boolean caughtWriting = writing(checkpoints);
    second.destroyForcibly().waitFor();
    System.out.println("second kill while a checkpoint was being written: " + caughtWriting);

    TrainingSummary resumed = Trainer.run(fixture.spark, config, true);
    assertEquals(whole.state().iteration(), resumed.state().iteration());
    List<Map<String, Object>> steps =
        MetricsLog.read(fs, new Path(config.out()), MetricsLog.Kind.STEPS);
    for (int i = 0; i < steps.size(); i++) {
      assertEquals(i + 1, ((Number) steps.get(i).get("iteration")).intValue(), "step " + (i + 1));
    }
    assertEquals(whole.state().iteration(), steps.size(), "every step once, no gap");
    var a = Checkpoints.load(fs, whole.checkpoint(), false).network().params();
    var b = Checkpoints.load(fs, resumed.checkpoint(), false).network().params();
    double diff = a.sub(b).amaxNumber().doubleValue();
    assertTrue(diff < 1e-4, "parameters differ from the uninterrupted run's by " + diff);
  }

  private static int completeCheckpoints(java.nio.file.Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (var files = Files.list(dir)) {
      return (int)
          files
              .filter(f -> f.getFileName().toString().startsWith("step-"))
              .filter(f -> Files.exists(f.resolve(Checkpoints.COMPLETE)))
              .count();
    }
  }

  private static boolean writing(java.nio.file.Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var files = Files.list(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().startsWith(".tmp-"));
    }
  }

  private static long stepLines(java.nio.file.Path out) throws IOException {
    java.nio.file.Path metrics = out.resolve("metrics");
    if (!Files.isDirectory(metrics)) {
      return 0;
    }
    long lines = 0;
    try (var files = Files.list(metrics)) {
      for (var f : (Iterable<java.nio.file.Path>) files::iterator) {
        if (f.getFileName().toString().startsWith("steps-")) {
          lines += Files.readAllLines(f).size();
        }
      }
    }
    return lines;
  }

  private interface Condition {
    boolean holds() throws IOException;
  }

  /** Polls every 2 ms until {@code condition} holds; fails if the child exits or time runs out. */
  private static void awaitOrFail(Process child, Condition condition, int seconds)
      throws Exception {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!condition.holds()) {
      if (!child.isAlive()) {
        throw new AssertionError("the child exited (" + child.exitValue() + ") before the kill");
      }
      if (System.nanoTime() > deadline) {
        child.destroyForcibly();
        throw new AssertionError("the child did not get there in " + seconds + " s");
      }
      Thread.sleep(2);
    }
  }

  /**
   * {@code workers = 0} is resolved at the first start (a driver that saw 3 executors' worth of
   * parallelism) and kept on resume by a driver that sees 2 (executors still registering): the
   * resume is not refused and every step after it still has 3 workers.
   */
  @Test
  void workersZeroIsResolvedAtTheFirstStartAndKeptOnResume() throws Exception {
    TrainConfig config =
        fixture.config("workers-zero", "epochs = 2", "workers = 0", "checkpoint.every-rounds = 1");
    java.nio.file.Path checkpoints =
        java.nio.file.Path.of(URI.create(config.out())).resolve("checkpoints");
    Process first = TrainingChild.start(config, false, fixture.dir, "local[3]");
    awaitOrFail(first, () -> completeCheckpoints(checkpoints) >= 1, 240);
    first.destroyForcibly().waitFor();
    Path latest = new Checkpoints(fs, new Path(config.out())).latest();
    assertEquals(3, Checkpoints.fingerprint(fs, latest).workers());

    assertEquals(2, fixture.spark.sparkContext().defaultParallelism());
    TrainingSummary resumed = Trainer.run(fixture.spark, config, true);
    List<Map<String, Object>> steps =
        MetricsLog.read(fs, new Path(config.out()), MetricsLog.Kind.STEPS);
    assertEquals(resumed.state().iteration(), steps.size());
    for (Map<String, Object> step : steps) {
      assertEquals(3, ((Number) step.get("workers")).intValue(), "step " + step.get("iteration"));
    }
  }
}
