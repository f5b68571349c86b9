package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.Natives;

/**
 * The in-place updater computes what DL4J's own updater computes: after several AdamW steps of a
 * training network (weight decay, warm-up then cosine, layer-wise decay: several schedules and
 * updater blocks), the parameters and the Adam moments are the same. A wrong weight decay is far
 * outside the tolerance (checked), and bias correction and the schedule change every step.
 */
class FlatGradientUpdaterTest {
  private static final int CLASSES = 10;
  private static final int BATCH = 4;
  private static final int STEPS = 5;

  /** Relative to the values' norm: float rounding, far below one step's weight decay. */
  private static final double TOLERANCE = 1e-7;

  @Test
  void stepsMatchDl4jsUpdater() {
    ComputationGraph dl4j = network(0.05, false);
    ComputationGraph flat = network(0.05, true);
    assertInstanceOf(FlatGradientUpdater.class, flat.getUpdater());
    assertEquals(0, relative(flat.params(), dl4j.params()), "same initial weights");
    train(dl4j, 0, STEPS);
    train(flat, 0, STEPS);
    assertSameTraining(dl4j, flat);
  }

  /** Installed mid-run, the updater keeps the Adam state it finds (used in place). */
  @Test
  void installKeepsTheUpdaterState() {
    ComputationGraph dl4j = network(0.05, false);
    ComputationGraph switched = network(0.05, false);
    train(dl4j, 0, STEPS);
    train(switched, 0, 2);
    INDArray state = switched.getUpdater().getStateViewArray();
    FlatGradientUpdater.install(switched);
    assertTrue(state == switched.getUpdater().getStateViewArray(), "state array kept");
    train(switched, 2, STEPS);
    assertSameTraining(dl4j, switched);
  }

  /** The comparison can tell: a weight decay of 0.04 instead of 0.05 is far outside it. */
  @Test
  void aWrongWeightDecayIsDetected() {
    ComputationGraph dl4j = network(0.05, false);
    ComputationGraph wrong = network(0.04, true);
    train(dl4j, 0, STEPS);
    train(wrong, 0, STEPS);
    double rel = relative(wrong.params(), dl4j.params());
    assertTrue(rel > 100 * TOLERANCE, "parameters differ by only " + rel);
  }

  @Test
  void onlyTheNetworksOwnMemoryCountsAsItsGradient() {
    ComputationGraph net = network(0.05, true);
    INDArray view = net.getUpdater().getFlattenedGradientsView();
    assertTrue(FlatGradientUpdater.sameMemory(view.reshape(view.length()), view));
    assertFalse(FlatGradientUpdater.sameMemory(view.dup(), view));
    INDArray shifted = view.reshape(view.length()).get(NDArrayIndex.interval(1, view.length()));
    assertFalse(FlatGradientUpdater.sameMemory(shifted, view));
  }

  private static void assertSameTraining(ComputationGraph expected, ComputationGraph actual) {
    ComputationGraphUpdater e = expected.getUpdater();
    ComputationGraphUpdater a = actual.getUpdater();
    double moved = relative(expected.params(), network(0.05, false).params());
    assertTrue(moved > 1e4 * TOLERANCE, "training moved the weights by only " + moved);
    double params = relative(actual.params(), expected.params());
    double state = relative(a.getStateViewArray(), e.getStateViewArray());
    assertTrue(params <= TOLERANCE, "parameters differ: relative " + params);
    assertTrue(state <= TOLERANCE, "Adam moments differ: relative " + state);
  }

  /** A micro training network: AdamW with decay {@code weightDecay}, layer-wise LR decay 0.8. */
  static ComputationGraph network(double weightDecay, boolean flat) {
    TrainConfig config =
        TrainConfig.from(
            ConfigFactory.parseString(
                String.join(
                    "\n",
                    "train.model = ghostnet_micro_32",
                    "train.data.path = unused",
                    "train.out = unused",
                    "train.dropout = 0",
                    "train.init.layer-decay = 0.8",
                    "train.optimizer.weight-decay = " + weightDecay)));
    // two warm-up steps, then the cosine: a different learning rate at every step
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(3e-3, 1e-4, 1e-5, 2, STEPS, 1.0);
    Natives.useOneDnnHelpers();
    ComputationGraph net =
        GhostNetBuilder.initialise(
            TrainingNetworks.configuration(config, config.spec(CLASSES), schedule));
    if (flat) {
      FlatGradientUpdater.install(net);
    }
    return net;
  }

  /** Steps {@code from} to {@code to} (exclusive), each on its own seeded batch. */
  private static void train(ComputationGraph net, int from, int to) {
    for (int step = from; step < to; step++) {
      Nd4j.getRandom().setSeed(100 + step);
      INDArray features = Nd4j.rand(DataType.FLOAT, BATCH, 3, 32, 32);
      INDArray labels = Nd4j.zeros(DataType.FLOAT, BATCH, CLASSES);
      for (int i = 0; i < BATCH; i++) {
        labels.putScalar(i, (step + 3 * i) % CLASSES, 1);
      }
      net.fit(new DataSet(features, labels));
    }
  }

  /** ||a - b|| / ||b||, in double precision. */
  private static double relative(INDArray a, INDArray b) {
    return StepParityTest.relative(a, b);
  }
}
