package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The guard before every checkpoint looks at the parameters, Adam's state and the EMA. */
class FiniteGuardTest {
  private static ComputationGraph trainedNetwork() {
    ComputationGraph net = CheckpointsTest.network();
    Nd4j.getRandom().setSeed(3);
    net.fit(
        new DataSet(
            Nd4j.rand(DataType.FLOAT, 4, 3, 32, 32),
            Nd4j.eye(6).getRows(0, 1, 2, 3).castTo(DataType.FLOAT)));
    return net;
  }

  @Test
  void finiteEverywhereIsFine() {
    ComputationGraph net = trainedNetwork();
    assertEquals(Optional.empty(), FiniteGuard.nonFinite(net, net.params().dup()));
  }

  /** Adam's v overflowed while the parameters are still finite: the state alone is caught. */
  @Test
  void anInfiniteAdamMomentIsCaught() {
    ComputationGraph net = trainedNetwork();
    INDArray state = net.getUpdater().getStateViewArray();
    state.putScalar(state.length() - 1, Float.POSITIVE_INFINITY);
    Optional<String> found = FiniteGuard.nonFinite(net, net.params().dup());
    assertTrue(found.orElse("").contains("optimizer state"), found.toString());
  }

  @Test
  void aNanInTheEmaIsCaught() {
    ComputationGraph net = trainedNetwork();
    INDArray ema = net.params().dup();
    ema.putScalar(7, Float.NaN);
    Optional<String> found = FiniteGuard.nonFinite(net, ema);
    assertTrue(found.orElse("").contains("EMA"), found.toString());
  }

  @Test
  void aNanParameterIsNamedFirst() {
    ComputationGraph net = trainedNetwork();
    net.params().putScalar(0, Float.NaN);
    Optional<String> found = FiniteGuard.nonFinite(net, null);
    assertTrue(found.orElse("").contains("1 non-finite parameters"), found.toString());
  }
}
