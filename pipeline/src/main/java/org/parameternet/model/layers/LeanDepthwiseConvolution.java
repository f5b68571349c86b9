package org.parameternet.model.layers;

import java.util.Collection;
import java.util.Optional;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.convolution.DepthwiseConvolution2DLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

    /**
     * The geometry for the SIMD plane kernels ({@link PlaneDepthwise}), or null where DL4J's op
     * runs: they take square, undilated float32 NCHW convs without bias, with an identity
     * activation, explicit padding and no weight noise or dropout, on planes where they are faster,
     * when the JVM has the Vector API ({@link VectorKernels}).
     */
    private DepthwiseShape javaShape() {
      DepthwiseConvolution2D c = (DepthwiseConvolution2D) layerConf();
      int[] k = c.getKernelSize();
      int[] st = c.getStride();
      int[] pad = c.getPadding();
      int[] dil = c.getDilation();
      if (input == null
          || input.rank() != 4
          || dataType != DataType.FLOAT
          || c.getCnn2dDataFormat() != CNN2DFormat.NCHW
          || st[0] != st[1]
          || k[0] != k[1]
          || pad[0] != pad[1]
          || dil[0] != 1
          || dil[1] != 1
          || c.hasBias()
          || c.getDepthMultiplier() != 1
          || c.getWeightNoise() != null
          || c.getIDropout() != null
          || convolutionMode != ConvolutionMode.Truncate
          || !(c.getActivationFn() instanceof ActivationIdentity)) {
        return null;
      }
      int h = (int) input.size(2);
      int w = (int) input.size(3);
      if (!KernelPolicy.planeDepthwise(h, w, st[0], false)) {
        return null;
      }
      if (h + 2 * pad[0] < k[0] || w + 2 * pad[0] < k[0]) {
        return null; // DL4J's op reports the bad geometry in its words
      }
      return new DepthwiseShape(h, w, k[0], st[0], pad[0]);
    }

    /** Forward and backward passes run on the Java kernels (tests: they did run). */
    long javaPasses;

    /** Each channel's kernel, row-major, channel after channel, from DL4J's [k, k, C, 1]. */
    private float[] kernels(int channels, int taps) {
      float[] weights = getParam("W").dup('c').data().asFloat();
      float[] kernels = new float[channels * taps];
      for (int t = 0; t < taps; t++) {
        for (int c = 0; c < channels; c++) {
          kernels[c * taps + t] = weights[t * channels + c];
        }
      }
      return kernels;
    }

    private INDArray javaForward(DepthwiseShape s, LayerWorkspaceMgr mgr) {
      INDArray x = input.castTo(dataType);
      Optional<ChannelPlanes> in = ChannelPlanes.of(x);
      if (in.isEmpty()) {
        return null;
      }
      INDArray out =
          mgr.createUninitialized(
              ArrayType.ACTIVATIONS,
              dataType,
              new long[] {x.size(0), x.size(1), s.outH, s.outW},
              'c');
      ChannelPlanes src = in.get();
      javaPasses++;
      DepthwisePlanes.forward(
          src,
          kernels(src.channels(), s.taps()),
          DepthwisePlanes.perChannel(s.taps()),
          s,
          ChannelPlanes.of(out).orElseThrow());
      return out;
    }

    @Override
    protected Pair<INDArray, INDArray> preOutput(
        boolean training, boolean forBackprop, LayerWorkspaceMgr mgr) {
      DepthwiseShape s = forBackprop ? null : javaShape();
      INDArray out = s == null ? null : javaForward(s, mgr);
      return out != null ? new Pair<>(out, null) : super.preOutput(training, forBackprop, mgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
      DepthwiseShape s = javaShape();
      if (s != null) {
        Pair<Gradient, INDArray> result = javaBackward(s, epsilon, mgr);
        if (result != null) {
          return result;
        }
      }
      backpropEpsilon = epsilon;
      try {
        return super.backpropGradient(epsilon, mgr);
      } finally {
        backpropEpsilon = null;
      }
    }

    private Pair<Gradient, INDArray> javaBackward(
        DepthwiseShape s, INDArray epsilon, LayerWorkspaceMgr mgr) {
      INDArray x = input.castTo(dataType);
      Optional<ChannelPlanes> in = ChannelPlanes.of(x);
      Optional<ChannelPlanes> eps = ChannelPlanes.of(epsilon.castTo(dataType));
      if (in.isEmpty() || eps.isEmpty() || epsilon.size(2) != s.outH || epsilon.size(3) != s.outW) {
        return null;
      }
      INDArray inGrad =
          mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
      int channels = in.get().channels();
      int taps = s.taps();
      float[] kernelGrads = new float[channels * taps];
      javaPasses++;
      DepthwisePlanes.backward(
          in.get(),
          eps.get(),
          kernels(channels, taps),
          DepthwisePlanes.perChannel(taps),
          s,
          ChannelPlanes.of(inGrad).orElseThrow(),
          kernelGrads);
      float[] weightGrad = new float[taps * channels]; // DL4J's [k, k, C, 1]
      for (int c = 0; c < channels; c++) {
        for (int t = 0; t < taps; t++) {
          weightGrad[t * channels + c] = kernelGrads[c * taps + t];
        }
      }
      INDArray weightGradView = gradientViews.get("W");
      weightGradView.assign(Nd4j.createFromArray(weightGrad).reshape('c', weightGradView.shape()));
      Gradient gradient = new DefaultGradient();
      gradient.setGradientFor("W", weightGradView, 'c');
      return new Pair<>(gradient, inGrad); // no dropout on this path (javaShape)
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
