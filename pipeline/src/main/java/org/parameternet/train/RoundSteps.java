package org.parameternet.train;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * The workers' step records of one round, one per (step, worker). When an executor is lost after
 * its task succeeded (during the aggregation), Spark runs the task again, and the accumulator then
 * holds that worker's records twice: counting them as they come would report an extra worker and
 * weigh its loss double. A worker's repeated record replaces the earlier one.
 */
final class RoundSteps {
  /** The mean loss over workers and the number of workers of one step. */
  record Step(double loss, int workers) {}

  private RoundSteps() {}

  static TreeMap<Long, Step> byStep(Collection<StepRecord> records) {
    TreeMap<Long, Map<Integer, Double>> losses = new TreeMap<>();
    for (StepRecord r : records) {
      losses.computeIfAbsent(r.iteration(), k -> new TreeMap<>()).put(r.worker(), r.loss());
    }
    TreeMap<Long, Step> steps = new TreeMap<>();
    for (Map.Entry<Long, Map<Integer, Double>> e : losses.entrySet()) {
      double sum = 0;
      for (double loss : e.getValue().values()) {
        sum += loss;
      }
      steps.put(e.getKey(), new Step(sum / e.getValue().size(), e.getValue().size()));
    }
    return steps;
  }
}
