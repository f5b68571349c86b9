package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ActivationsTest {
  private static final double[] X = {-5, -3, -1.5, 0, 1.5, 3, 5};

  private static double[] values(INDArray a) {
    return a.toDoubleVector();
  }

  @Test
  void hardSwishMatchesPyTorch() {
    INDArray x = Nd4j.createFromArray(X).castTo(DataType.DOUBLE);
    double[] y = values(new ActivationHardSwish().getActivation(x.dup(), false));
    assertArrayEquals(new double[] {0, 0, -0.375, 0, 1.125, 3, 5}, y, 1e-12);
  }

  @Test
  void hardSwishDerivativeMatchesPyTorch() {
    INDArray x = Nd4j.createFromArray(X).castTo(DataType.DOUBLE);
    INDArray eps = Nd4j.ones(DataType.DOUBLE, X.length).muli(2);
    double[] d = values(new ActivationHardSwish().backprop(x.dup(), eps).getFirst());
    // 2 * {0, x/3 + 1/2 at -3, 0, 1/2, 1, x/3+1/2 at 3, 1}
    assertArrayEquals(new double[] {0, -1, 0, 1, 2, 3, 2}, d, 1e-12);
  }

  @Test
  void gateIsRelu6OfXPlus3Over6() {
    INDArray x = Nd4j.createFromArray(X).castTo(DataType.DOUBLE);
    double[] y = values(new ActivationHardSigmoidGate().getActivation(x.dup(), false));
    assertArrayEquals(new double[] {0, 0, 0.25, 0.5, 0.75, 1, 1}, y, 1e-12);
    INDArray eps = Nd4j.ones(DataType.DOUBLE, X.length).muli(6);
    double[] d = values(new ActivationHardSigmoidGate().backprop(x.dup(), eps).getFirst());
    assertArrayEquals(new double[] {0, 0, 1, 1, 1, 0, 0}, d, 1e-12);
  }
}
