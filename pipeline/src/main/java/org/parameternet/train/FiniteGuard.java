package org.parameternet.train;

import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * What must be finite before a checkpoint is written: the parameters, the optimizer's state and the
 * EMA weights. Adam's second moment overflows to infinity on one huge gradient while the parameters
 * stay finite (the update m / sqrt(v) is then 0), so checking the parameters alone would save a run
 * that can no longer learn.
 */
final class FiniteGuard {
  private FiniteGuard() {}

  /** A description of the first part holding NaN or infinity, or empty when all are finite. */
  static Optional<String> nonFinite(ComputationGraph net, INDArray ema) {
    long bad = count(net.params());
    if (bad > 0) {
      return Optional.of(bad + " non-finite parameters");
    }
    INDArray state = net.getUpdater() == null ? null : net.getUpdater().getStateViewArray();
    bad = state == null ? 0 : count(state);
    if (bad > 0) {
      return Optional.of(bad + " non-finite values in the optimizer state");
    }
    bad = ema == null ? 0 : count(ema);
    if (bad > 0) {
      return Optional.of(bad + " non-finite EMA weights");
    }
    return Optional.empty();
  }

  private static long count(INDArray a) {
    return Nd4j.getExecutioner().exec(new MatchCondition(a, Conditions.isNan())).getLong(0)
        + Nd4j.getExecutioner().exec(new MatchCondition(a, Conditions.isInfinite())).getLong(0);
  }
}
