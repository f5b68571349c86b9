package org.parameternet.model.layers;

import java.util.Collection;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's convolution, minus its waste. Its backprop recomputes the whole forward convolution only
 * to hand the result to the activation's derivative, which for identity (every conv here that a BN
 * follows) ignores it; this layer skips that recomputation. And 1x1 convolutions on large planes
 * run as one matrix product per sample on the NCHW arrays as they are ({@link PointwiseGemm}),
 * where DL4J's oneDNN call reorders the input, the output and their gradients to a blocked layout
 * and back.
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

    /** Forward and backward passes that ran as per-sample matrix products (tests: they did). */
    long gemmPasses;

    public Runtime(NeuralNetConfiguration conf, DataType dataType) {
      super(conf, dataType);
    }

    private boolean pointwise() {
      return KernelPolicy.pointwiseGemm(layerConf(), input, dataType);
    }

    /**
     * The geometry for {@link PlaneConvolution} (the stem: few input channels, a kernel larger than
     * 1), or null.
     */
    private DepthwiseShape planeShape() {
      ConvolutionLayer c = layerConf();
      if (input == null
          || !PointwiseGemm.plain(c, input, dataType)
          || input.size(1) != getParam("W").size(1) // DL4J's op reports the mismatch
          || !KernelPolicy.planeConvolution(input.size(1), c.getKernelSize()[0])) {
        return null;
      }
      int k = c.getKernelSize()[0];
      int pad = c.getPadding()[0];
      if (input.size(2) + 2L * pad < k || input.size(3) + 2L * pad < k) {
        return null;
      }
      return new DepthwiseShape((int) input.size(2), (int) input.size(3), k, c.getStride()[0], pad);
    }

    private PlaneConvolution.Kernels kernels() {
      INDArray w = getParam("W");
      return new PlaneConvolution.Kernels(
          w.dup('c').data().asFloat(),
          (int) w.size(0),
          (int) w.size(1),
          (int) (w.size(2) * w.size(3)),
          false);
    }

    @Override
    protected Pair<INDArray, INDArray> preOutput(
        boolean training, boolean forBackprop, LayerWorkspaceMgr mgr) {
      if (!forBackprop && pointwise()) {
        gemmPasses++;
        return new Pair<>(PointwiseGemm.forward(input, getParam("W"), mgr), null);
      }
      DepthwiseShape plane = forBackprop ? null : planeShape();
      Optional<ChannelPlanes> in = plane == null ? Optional.empty() : ChannelPlanes.of(input);
      if (in.isPresent()) {
        gemmPasses++;
        INDArray out =
            mgr.createUninitialized(
                ArrayType.ACTIVATIONS,
                dataType,
                new long[] {input.size(0), getParam("W").size(0), plane.outH, plane.outW},
                'c');
        PlaneConvolution.forward(in.get(), kernels(), plane, ChannelPlanes.of(out).orElseThrow());
        return new Pair<>(out, null);
      }
      return super.preOutput(training, forBackprop, mgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
      if (pointwise()) {
        gemmPasses++;
        INDArray weightGrad = gradientViews.get("W");
        INDArray inputGrad = PointwiseGemm.backward(input, getParam("W"), epsilon, weightGrad, mgr);
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor("W", weightGrad, 'c');
        return new Pair<>(gradient, inputGrad); // no dropout on this path (applies)
      }
      DepthwiseShape plane = planeShape();
      Optional<ChannelPlanes> in = plane == null ? Optional.empty() : ChannelPlanes.of(input);
      Optional<ChannelPlanes> eps =
          plane == null ? Optional.empty() : ChannelPlanes.of(epsilon.castTo(dataType));
      if (in.isPresent() && eps.isPresent() && epsilon.size(2) == plane.outH) {
        gemmPasses++;
        INDArray inputGrad =
            mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, input.shape(), 'c');
        float[] grads =
            PlaneConvolution.backward(
                in.get(), eps.get(), kernels(), plane, ChannelPlanes.of(inputGrad).orElseThrow());
        INDArray weightGrad = gradientViews.get("W");
        DepthwisePlanes.write(grads, weightGrad);
        Gradient gradient = new DefaultGradient();
        gradient.setGradientFor("W", weightGrad, 'c');
        return new Pair<>(gradient, inputGrad); // no dropout on this path (plain)
      }
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
