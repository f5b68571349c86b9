package org.parameternet.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution, minus one wasted pass: its backprop recomputes the whole forward convolution
 * only to hand the result to the activation's derivative, which for identity (every conv here that
 * a BN follows) ignores it. This layer skips that recomputation; everything else is DL4J's.
 */
public class LeanConvolution extends ConvolutionLayer {
  /** For JSON deserialisation. */
  public LeanConvolution() {}

  public LeanConvolution(ConvolutionLayer.Builder builder) {
    super(builder);
  }

  @Override
  public Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray paramsView,
      boolean initializeParams,
      DataType networkDataType) {
    return LayerWiring.wire(
        new Runtime(conf, networkDataType),
        conf,
        listeners,
        layerIndex,
        paramsView,
        initializeParams,
        initializer());
  }

  @Override
  public LeanConvolution clone() {
    return (LeanConvolution) super.clone();
  }

  /** The runtime layer. */
  public static class Runtime extends org.deeplearning4j.nn.layers.convolution.ConvolutionLayer {
    private INDArray backpropEpsilon;

    public Runtime(NeuralNetConfiguration conf, DataType dataType) {
      super(conf, dataType);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
      backpropEpsilon = epsilon;
      try {
        return super.backpropGradient(epsilon, mgr);
      } finally {
        backpropEpsilon = null;
      }
    }

    @Override
    protected Pair<INDArray, INDArray> preOutput4d(
        boolean training, boolean forBackprop, LayerWorkspaceMgr mgr) {
      if (forBackprop
          && backpropEpsilon != null
          && layerConf().getActivationFn() instanceof ActivationIdentity) {
        // Identity's backprop only checks the shape: epsilon has the output's shape. No im2col is
        // handed back, so DL4J's built-in path computes it itself.
        return new Pair<>(backpropEpsilon, null);
      }
      return super.preOutput4d(training, forBackprop, mgr);
    }
  }
}
