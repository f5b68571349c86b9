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
     * Input planes from which the Java kernels run. Measured per layer with a one-off harness (fwd
     * + bwd, batch 32, 2 threads, GhostNet-300M's stride-2 shapes): 3x3 on 70 channels at 112x112
     * took 60 ms against libnd4j's 143; 5x5 on 104 at 56x56, 79 against 85; 3x3 on 348 at 28x28, 28
     * against 31; 5x5 on 976 at 14x14, 59 against 41. The threshold lies between the sizes where
     * Java won clearly and where it lost.
     */
    static final long JAVA_MIN_PLANE = 64 * 64;

    /**
     * The geometry for the Java kernels ({@link PlaneDepthwise}), or null where DL4J's op runs:
     * they take strided (stride >= 2), square, undilated float32 NCHW convs without bias, with an
     * identity activation, explicit padding and no weight noise or dropout, on planes of at least
     * {@link #JAVA_MIN_PLANE}.
     */
    private PlaneDepthwise.Shape javaShape() {
      DepthwiseConvolution2D c = (DepthwiseConvolution2D) layerConf();
      int[] k = c.getKernelSize();
      int[] st = c.getStride();
      int[] pad = c.getPadding();
      int[] dil = c.getDilation();
      if (input == null
          || input.rank() != 4
          || dataType != DataType.FLOAT
          || c.getCnn2dDataFormat() != org.deeplearning4j.nn.conf.CNN2DFormat.NCHW
          || st[0] < 2
          || st[0] != st[1]
          || k[0] != k[1]
          || pad[0] != pad[1]
          || dil[0] != 1
          || dil[1] != 1
          || c.hasBias()
          || c.getDepthMultiplier() != 1
          || c.getWeightNoise() != null
          || c.getIDropout() != null
          || convolutionMode == org.deeplearning4j.nn.conf.ConvolutionMode.Same
          || !(c.getActivationFn() instanceof ActivationIdentity)) {
        return null;
      }
      int h = (int) input.size(2);
      int w = (int) input.size(3);
      if ((long) h * w < JAVA_MIN_PLANE) {
        return null;
      }
      int outH = (h + 2 * pad[0] - k[0]) / st[0] + 1;
      int outW = (w + 2 * pad[0] - k[0]) / st[0] + 1;
      return outH < 1 || outW < 1
          ? null
          : new PlaneDepthwise.Shape(h, w, outH, outW, k[0], st[0], pad[0]);
    }

    /** Forward and backward passes run on the Java kernels (tests: they did run). */
    long javaPasses;

    /** Each channel's kernel, row-major, from DL4J's [k, k, channels, 1] weights. */
    private float[][] kernels(int channels, int taps) {
      float[] weights = getParam("W").dup('c').data().asFloat();
      float[][] kernels = new float[channels][taps];
      for (int t = 0; t < taps; t++) {
        for (int c = 0; c < channels; c++) {
          kernels[c][t] = weights[t * channels + c];
        }
      }
      return kernels;
    }

    private INDArray javaForward(PlaneDepthwise.Shape s, LayerWorkspaceMgr mgr) {
      INDArray x = input.castTo(dataType);
      java.util.Optional<ChannelPlanes> in = ChannelPlanes.of(x);
      if (in.isEmpty()) {
        return null;
      }
      INDArray out =
          mgr.createUninitialized(
              org.deeplearning4j.nn.workspace.ArrayType.ACTIVATIONS,
              dataType,
              new long[] {x.size(0), x.size(1), s.outH(), s.outW()},
              'c');
      ChannelPlanes src = in.get();
      ChannelPlanes dst = ChannelPlanes.of(out).orElseThrow();
      float[][] kernels = kernels(src.channels(), s.k() * s.k());
      javaPasses++;
      PlaneWork.forEachChannel(
          src.channels(),
          src.size(),
          c -> {
            float[] kernel = kernels[c];
            float[] plane = PlaneWork.scratch(0, s.inPlane());
            float[] result = PlaneWork.scratch(1, s.outPlane());
            for (int n = 0; n < src.batch(); n++) {
              src.data().get(src.start(n, c), plane, 0, s.inPlane());
              PlaneDepthwise.forward(plane, kernel, s, result);
              dst.data().put(dst.start(n, c), result, 0, s.outPlane());
            }
          });
      return out;
    }

    @Override
    protected Pair<INDArray, INDArray> preOutput(
        boolean training, boolean forBackprop, LayerWorkspaceMgr mgr) {
      PlaneDepthwise.Shape s = forBackprop ? null : javaShape();
      INDArray out = s == null ? null : javaForward(s, mgr);
      return out != null ? new Pair<>(out, null) : super.preOutput(training, forBackprop, mgr);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
      PlaneDepthwise.Shape s = javaShape();
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
        PlaneDepthwise.Shape s, INDArray epsilon, LayerWorkspaceMgr mgr) {
      INDArray x = input.castTo(dataType);
      java.util.Optional<ChannelPlanes> in = ChannelPlanes.of(x);
      java.util.Optional<ChannelPlanes> eps = ChannelPlanes.of(epsilon.castTo(dataType));
      if (in.isEmpty()
          || eps.isEmpty()
          || epsilon.size(2) != s.outH()
          || epsilon.size(3) != s.outW()) {
        return null;
      }
      INDArray inGrad =
          mgr.createUninitialized(
              org.deeplearning4j.nn.workspace.ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
      ChannelPlanes src = in.get();
      ChannelPlanes grad = eps.get();
      ChannelPlanes dst = ChannelPlanes.of(inGrad).orElseThrow();
      int channels = src.channels();
      int taps = s.k() * s.k();
      float[][] kernels = kernels(channels, taps);
      float[] weightGrad = new float[taps * channels];
      javaPasses++;
      PlaneWork.forEachChannel(
          channels,
          src.size(),
          c -> {
            float[] kernel = kernels[c];
            float[] kernelGrad = new float[taps];
            float[] plane = PlaneWork.scratch(0, s.inPlane());
            float[] planeGrad = PlaneWork.scratch(1, s.inPlane());
            float[] outGrad = new float[s.outPlane()];
            for (int n = 0; n < src.batch(); n++) {
              src.data().get(src.start(n, c), plane, 0, s.inPlane());
              grad.data().get(grad.start(n, c), outGrad, 0, s.outPlane());
              PlaneDepthwise.backward(plane, kernel, outGrad, s, planeGrad, kernelGrad);
              dst.data().put(dst.start(n, c), planeGrad, 0, s.inPlane());
            }
            for (int t = 0; t < taps; t++) {
              weightGrad[t * channels + c] = kernelGrad[t]; // each channel its own slots
            }
          });
      INDArray weightGradView = gradientViews.get("W");
      weightGradView.assign(Nd4j.createFromArray(weightGrad).reshape('c', weightGradView.shape()));
      Gradient gradient = new org.deeplearning4j.nn.gradient.DefaultGradient();
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
