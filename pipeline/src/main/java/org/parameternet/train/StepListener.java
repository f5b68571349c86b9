package org.parameternet.train;

import java.io.Serializable;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs inside each worker's network. It puts the worker on the global step before its first update,
 * and sends every update's loss back to the driver through a Spark accumulator (only successful
 * tasks' records arrive, so retried tasks do not double up).
 *
 * <p>Deeplearning4j 1.0.0-M2's parameter averaging builds each worker's network from {@code
 * ComputationGraphConfiguration.clone()}, which drops the iteration and epoch counts: without this
 * listener every round would restart the learning-rate schedule and Adam's bias correction at step
 * 0.
 */
public final class StepListener extends BaseTrainingListener implements Serializable {
  private final CollectionAccumulator<StepRecord> records;
  private long roundStart;
  private int epoch;
  private transient boolean placed;
  private transient long last;
  private transient double loss = Double.NaN;

  public StepListener(CollectionAccumulator<StepRecord> records) {
    this.records = records;
  }

  /** Called on the driver before a round: the global step and epoch the round starts at. */
  public void startRound(long iteration, int epoch) {
    this.roundStart = iteration;
    this.epoch = epoch;
  }

  @Override
  public void onForwardPass(Model model, Map<String, INDArray> activations) {
    // the first forward pass of a round comes before its first update
    if (!placed && model instanceof ComputationGraph graph) {
      graph.getConfiguration().setIterationCount((int) roundStart);
      graph.getConfiguration().setEpochCount(epoch);
      placed = true;
    }
  }

  /**
   * The step's data loss, taken before the update: Deeplearning4j's score adds the weight-decay
   * term of the parameters it ran on, so it must come off at those parameters. Taken after the
   * update (in {@link #iterationDone}), the logged loss carried the decay term's change in the
   * step, 0.4-3% of the loss early in a run (StepParityTest).
   */
  @Override
  public void onGradientCalculation(Model model) {
    loss = model.score();
    if (model instanceof ComputationGraph graph) {
      loss -= graph.calcRegularizationScore(true);
    }
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    long now = System.nanoTime();
    double millis = last == 0 ? Double.NaN : (now - last) / 1e6;
    last = now;
    TaskContext task = TaskContext.get();
    int worker = task == null ? 0 : task.partitionId();
    records.add(new StepRecord(iteration, worker, loss, millis));
    loss = Double.NaN;
  }
}
