package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.parameternet.model.Natives;

/**
 * The lean convolutions skip the forward recomputation in backprop; their gradients (weights, bias
 * and, through a leading conv, the input's) must equal DL4J's own layers', on oneDNN's path (float)
 * and the built-in one. Float depthwise convs run on the SIMD plane kernels ({@link
 * PlaneDepthwise}), so these cases hold them to libnd4j's op.
 */
class LeanConvolutionTest {
  private static final int CHANNELS = 6;

  static Stream<Arguments> cases() {
    return Stream.of(DataType.FLOAT, DataType.DOUBLE)
        .flatMap(
            t ->
                Stream.of(
                    Arguments.of("1x1", t),
                    Arguments.of("1x1 on a large plane", t),
                    Arguments.of("3x3 stride 2 without bias", t),
                    Arguments.of("3x3 stride 1 without bias", t),
                    Arguments.of("3x3 stride 2", t),
                    Arguments.of("depthwise 5x5 stride 2", t),
                    Arguments.of("depthwise 3x3 stride 2", t),
                    Arguments.of("depthwise 3x3 stride 1", t),
                    Arguments.of("depthwise 5x5 stride 1", t)));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void gradientsEqualDl4jsOwnLayer(String kind, DataType type) {
    ComputationGraph plain = network(layer(kind, false), type);
    ComputationGraph lean = network(layer(kind, true), type);
    lean.setParams(plain.params());
    Nd4j.getRandom().setSeed(3);
    // odd-sized planes, none a whole number of vectors wide
    int size =
        kind.startsWith("depthwise")
            ? (kind.endsWith("stride 2") ? 17 : 57)
            : kind.endsWith("large plane") ? 29 : kind.endsWith("without bias") ? 65 : 9;
    INDArray x = Nd4j.randn(type, 4, CHANNELS, size, size);
    INDArray y = Nd4j.randn(type, 4, 2);
    INDArray[] gradients = new INDArray[2];
    ComputationGraph[] nets = {plain, lean};
    for (int i = 0; i < 2; i++) {
      nets[i].setInputs(x);
      nets[i].setLabels(y);
      nets[i].computeGradientAndScore();
      gradients[i] = nets[i].gradient().gradient().dup();
    }
    if (kind.startsWith("depthwise")) {
      // forward and backward of the gradient computation ran on them, or on libnd4j's op
      long passes = ((LeanDepthwiseConvolution.Runtime) lean.getLayer("conv")).javaPasses;
      assertEquals(
          type == DataType.FLOAT ? 2 : 0, passes, "float depthwise convs run on the SIMD kernels");
    } else {
      long passes = ((LeanConvolution.Runtime) lean.getLayer("conv")).gemmPasses;
      boolean gemm =
          type == DataType.FLOAT && (kind.endsWith("large plane") || kind.endsWith("without bias"));
      assertEquals(
          gemm ? 2 : 0,
          passes,
          "float 1x1 convs on large planes run as matrix products, stems on the plane kernels");
    }
    assertTrue(gradients[0].amaxNumber().doubleValue() > 0, "gradients are not trivially zero");
    // The leading conv's gradients carry the tested layer's input gradient. The Java kernels sum
    // a kernel's gradient over up to 4 x 57 x 57 products in another order than libnd4j: float32
    // rounding (about 1e-5 of the largest gradient here), so relative to it; PlaneDepthwiseTest
    // holds the kernels to a double-precision reference.
    double scale = type == DataType.FLOAT ? gradients[0].amaxNumber().doubleValue() : 1;
    boolean planeKernels = kind.startsWith("depthwise") || kind.endsWith("without bias");
    double tolerance = type == DataType.FLOAT && planeKernels ? 1e-4 : 1e-6;
    assertEquals(
        0, gradients[0].sub(gradients[1]).amaxNumber().doubleValue() / scale, tolerance, kind);
  }

  private static Layer layer(String kind, boolean lean) {
    if (kind.startsWith("depthwise")) {
      int dk = kind.contains("5x5") ? 5 : 3;
      int ds = kind.endsWith("stride 2") ? 2 : 1;
      DepthwiseConvolution2D.Builder b =
          new DepthwiseConvolution2D.Builder(dk, dk)
              .stride(ds, ds)
              .padding(dk / 2, dk / 2)
              .depthMultiplier(1)
              .nIn(CHANNELS)
              .nOut(CHANNELS)
              .hasBias(false)
              .activation(new ActivationIdentity());
      return lean ? new LeanDepthwiseConvolution(b) : b.build();
    }
    int k = kind.startsWith("1x1") ? 1 : 3;
    int s = kind.contains("stride 2") ? 2 : 1;
    ConvolutionLayer.Builder b =
        new ConvolutionLayer.Builder(k, k)
            .stride(s, s)
            .padding(k / 2, k / 2)
            .nIn(CHANNELS)
            .nOut(8)
            .hasBias(k == 3 && !kind.endsWith("without bias"))
            .activation(new ActivationIdentity());
    return lean ? new LeanConvolution(b) : b.build();
  }

  private static ComputationGraph network(Layer conv, DataType type) {
    Natives.useOneDnnHelpers();
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(1)
            .dataType(type)
            .updater(new NoOp())
            .convolutionMode(ConvolutionMode.Truncate)
            .graphBuilder()
            .addInputs("in")
            .addLayer(
                "pre",
                new ConvolutionLayer.Builder(1, 1)
                    .nOut(CHANNELS)
                    .activation(new ActivationIdentity())
                    .build(),
                "in")
            .addLayer("conv", conv, "pre")
            .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .nOut(2)
                    .activation(new ActivationIdentity())
                    .build(),
                "pool")
            .setOutputs("out")
            .setInputTypes(InputType.convolutional(9, 9, CHANNELS))
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }
}
