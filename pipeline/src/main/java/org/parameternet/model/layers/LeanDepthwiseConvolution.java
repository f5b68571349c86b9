package org.parameternet.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.DepthwiseConvolution2DLayer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's depthwise convolution without the forward recomputation in backprop that only feeds an
 * identity activation's derivative (see {@link LeanConvolution}).
 */
public class LeanDepthwiseConvolution extends DepthwiseConvolution2D {
  /** For JSON deserialisation. */
  public LeanDepthwiseConvolution() {}

  public LeanDepthwiseConvolution(DepthwiseConvolution2D.Builder builder) {
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
  public LeanDepthwiseConvolution clone() {
    return (LeanDepthwiseConvolution) super.clone();
  }

  /** The runtime layer. */
  public static class Runtime extends DepthwiseConvolution2DLayer {
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
        return new Pair<>(backpropEpsilon, null);
      }
      return super.preOutput4d(training, forBackprop, mgr);
    }
  }
}
