package org.parameternet.model.layers;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The squeeze-excite gate relu6(x + 3) / 6 (PyTorch's hardsigmoid). DL4J's own HARDSIGMOID is
 * clip(0.2x + 0.5), a different function.
 */
public class ActivationHardSigmoidGate extends BaseActivationFunction {

  @Override
  public INDArray getActivation(INDArray in, boolean training) {
    in.addi(3.0);
    return Transforms.relu6(in, false).divi(6.0);
  }

  @Override
  public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
    assertShape(in, epsilon);
    INDArray inside = in.gt(-3.0).castTo(in.dataType()).muli(in.lt(3.0).castTo(in.dataType()));
    in.assign(inside.muli(epsilon).divi(6.0));
    return new Pair<>(in, null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ActivationHardSigmoidGate;
  }

  @Override
  public int hashCode() {
    return ActivationHardSigmoidGate.class.hashCode();
  }

  @Override
  public String toString() {
    return "hardsigmoid_gate";
  }
}
