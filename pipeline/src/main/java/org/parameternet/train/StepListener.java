package org.parameternet.train;

import java.io.Serializable;
import org.apache.spark.TaskContext;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Runs inside each worker's network and sends every update's loss back to the driver through a
 * Spark accumulator (only successful tasks' records arrive, so retried tasks do not double up).
 */
public final class StepListener extends BaseTrainingListener implements Serializable {
  private final CollectionAccumulator<StepRecord> records;
  private transient long last;

  public StepListener(CollectionAccumulator<StepRecord> records) {
    this.records = records;
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    long now = System.nanoTime();
    double millis = last == 0 ? Double.NaN : (now - last) / 1e6;
    last = now;
    double loss = model.score();
    if (model instanceof ComputationGraph graph) {
      loss -= graph.calcRegularizationScore(true);
    }
    TaskContext task = TaskContext.get();
    int worker = task == null ? 0 : task.partitionId();
    records.add(new StepRecord(iteration, worker, loss, millis));
  }
}
