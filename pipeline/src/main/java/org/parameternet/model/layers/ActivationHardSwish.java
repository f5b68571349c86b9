package org.parameternet.model.layers;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Hardswish, x * relu6(x + 3) / 6, as PyTorch defines it (DL4J M2.1 has none). */
public class ActivationHardSwish extends BaseActivationFunction {

  @Override
  public INDArray getActivation(INDArray in, boolean training) {
    INDArray gate = Transforms.relu6(in.add(3.0), false).divi(6.0);
    return in.muli(gate);
  }

  @Override
  public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
    assertShape(in, epsilon);
    // d/dx = 0 for x < -3, 1 for x > 3, x/3 + 1/2 in between (PyTorch's choice at the kinks).
    INDArray grad = in.mul(1.0 / 3.0).addi(0.5);
    BooleanIndexing.replaceWhere(grad, 0.0, Conditions.lessThan(-0.5));
    BooleanIndexing.replaceWhere(grad, 1.0, Conditions.greaterThan(1.5));
    in.assign(grad.muli(epsilon));
    return new Pair<>(in, null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ActivationHardSwish;
  }

  @Override
  public int hashCode() {
    return ActivationHardSwish.class.hashCode();
  }

  @Override
  public String toString() {
    return "hardswish";
  }
}
