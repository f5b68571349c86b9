package org.parameternet.benchmark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;

/**
 * {@link ModelBenchmark#interleavedTraining}: a result per model in the order given, each timed
 * over its own steps (without the wait for idle, every step clean: its step time the median of its
 * rounds, images/s from that), and the ratios to the first model from the same rounds.
 */
class InterleavedTrainingTest {
  @Test
  void timesEachModelOverItsOwnStepsInTurns() {
    List<ModelSpec> specs =
        List.of(
            ModelRegistry.get("ghostnet_micro_32").withClasses(10),
            ModelRegistry.get("parameternet_micro_32").withClasses(10));
    ModelBenchmark.Interleaved run =
        ModelBenchmark.interleavedTraining(specs, 2, 1, 3, ModelBenchmark.Quiet.NONE);

    assertEquals(
        List.of("ghostnet_micro_32", "parameternet_micro_32"),
        run.results().stream().map(ModelBenchmark.TrainingResult::model).toList());
    for (int m = 0; m < 2; m++) {
      ModelBenchmark.TrainingResult r = run.results().get(m);
      double[] seconds = Arrays.copyOf(run.rounds().seconds()[m], 3);
      assertTrue(Arrays.stream(seconds).allMatch(s -> s > 0), Arrays.toString(seconds));
      assertEquals(3, run.rounds().runs(m), "all clean: no rounds past the three asked for");
      double mean = Arrays.stream(seconds).sum() / 3;
      double[] sorted = seconds.clone();
      Arrays.sort(sorted);
      assertEquals(sorted[1], r.secondsPerStep(), 1e-12);
      assertEquals(2 / sorted[1], r.imagesPerSecond(), 1e-9);
      assertEquals(mean, r.meanSecondsPerStep(), 1e-12);
      assertEquals(3, r.steps());
      assertEquals(3, r.cleanSteps());
      assertTrue(r.warmSteps() > 1, "warmed past the least warm-up: " + r.warmSteps());
    }
    assertArrayEquals(new double[] {1, 1, 1, 1}, run.ratioToFirst(0), 1e-12);
    double[] ratio = run.ratioToFirst(1);
    double[][] s = run.rounds().seconds();
    assertEquals((s[1][0] + s[1][1] + s[1][2]) / (s[0][0] + s[0][1] + s[0][2]), ratio[0], 1e-12);
    double[] rounds = {s[1][0] / s[0][0], s[1][1] / s[0][1], s[1][2] / s[0][2]};
    Arrays.sort(rounds);
    assertEquals(rounds[1], ratio[1], 1e-12);
  }
}
