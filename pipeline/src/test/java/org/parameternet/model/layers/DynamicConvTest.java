package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class DynamicConvTest {
  private static final int SIZE = 7;

  /** in, out, kernel, stride, padding, groups, expected form. */
  static Stream<Arguments> geometries() {
    return Stream.of(
        Arguments.of(6, 4, 1, 1, 0, 1, DynamicConv.Form.POINTWISE),
        Arguments.of(6, 4, 1, 2, 0, 1, DynamicConv.Form.POINTWISE),
        Arguments.of(3, 4, 3, 2, 1, 1, DynamicConv.Form.GENERAL),
        Arguments.of(3, 5, 3, 1, 1, 1, DynamicConv.Form.GENERAL),
        Arguments.of(4, 4, 3, 1, 1, 4, DynamicConv.Form.DEPTHWISE),
        Arguments.of(4, 4, 5, 2, 2, 4, DynamicConv.Form.DEPTHWISE),
        Arguments.of(4, 6, 3, 1, 1, 2, DynamicConv.Form.GENERAL));
  }

  private static DynamicConv dynamicConv(int in, int out, int k, int s, int p, int g, int m) {
    return new DynamicConv.Builder()
        .kernelSize(k)
        .stride(s)
        .padding(p)
        .groups(g)
        .experts(m)
        .nIn(in)
        .nOut(out)
        .build();
  }

  /**
   * input -> 1x1 conv -> layer -> flatten -> linear MSE output. The leading conv makes the gradient
   * check cover the layer's input gradient too (only parameter gradients are checked).
   */
  private static ComputationGraph singleLayerNet(
      Layer layer, int in, DataType dataType, boolean leadingConv) {
    return singleLayerNet(layer, in, dataType, leadingConv, SIZE);
  }

  private static ComputationGraph singleLayerNet(
      Layer layer, int in, DataType dataType, boolean leadingConv, int size) {
    ComputationGraphConfiguration.GraphBuilder graph =
        new NeuralNetConfiguration.Builder()
            .seed(42)
            .dataType(dataType)
            .updater(new NoOp())
            .convolutionMode(ConvolutionMode.Truncate)
            .graphBuilder()
            .addInputs("in");
    if (leadingConv) {
      graph.addLayer(
          "pre",
          new ConvolutionLayer.Builder(1, 1).nOut(in).activation(new ActivationIdentity()).build(),
          "in");
    }
    ComputationGraphConfiguration conf =
        graph
            .addLayer("conv", layer, leadingConv ? "pre" : "in")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .activation(new ActivationIdentity())
                    .nOut(3)
                    .build(),
                "conv")
            .setOutputs("out")
            .setInputTypes(InputType.convolutional(size, size, in))
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }

  @ParameterizedTest(name = "[{index}] {0}->{1} k{2} s{3} p{4} g{5}")
  @MethodSource("geometries")
  void gradientsMatchFiniteDifferences(
      int in, int out, int k, int s, int p, int g, DynamicConv.Form form) {
    DynamicConv layer = dynamicConv(in, out, k, s, p, g, 3);
    assertEquals(form, layer.form());
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    ComputationGraph net = singleLayerNet(layer, in, DataType.DOUBLE, true);
    Nd4j.getRandom().setSeed(7);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 3, in, SIZE, SIZE).subi(0.5);
    INDArray y = Nd4j.rand(DataType.DOUBLE, 3, 3);
    boolean ok =
        GradientCheckUtil.checkGradients(
            new GradientCheckUtil.GraphConfig()
                .net(net)
                .inputs(new INDArray[] {x})
                .labels(new INDArray[] {y})
                .epsilon(1e-6)
                .maxRelError(1e-5)
                .minAbsoluteError(1e-10)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
    Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    assertTrue(ok, "gradient check failed for " + layer);
  }

  /**
   * Each sample's output equals a naive convolution of that sample with its own fused kernel W'(b)
   * = sum_i sigmoid(pool(x_b) Wr + br)_i W_i, computed here independently of the layer.
   */
  @ParameterizedTest(name = "[{index}] {0}->{1} k{2} s{3} p{4} g{5}")
  @MethodSource("geometries")
  void appliesEachSamplesOwnFusedKernel(
      int in, int out, int k, int s, int p, int g, DynamicConv.Form form) {
    int experts = 4;
    ComputationGraph net =
        singleLayerNet(dynamicConv(in, out, k, s, p, g, experts), in, DataType.DOUBLE, false);
    INDArray experts2d = net.getLayer("conv").getParam(DynamicConvParamInitializer.EXPERTS_KEY);
    INDArray routingW =
        net.getLayer("conv").getParam(DynamicConvParamInitializer.ROUTING_WEIGHT_KEY);
    INDArray routingB = net.getLayer("conv").getParam(DynamicConvParamInitializer.ROUTING_BIAS_KEY);
    // Strong routing weights so that the samples' mixing coefficients differ clearly.
    routingW.muli(20);
    Nd4j.getRandom().setSeed(11);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 4, in, SIZE, SIZE).subi(0.5);
    INDArray actual = net.feedForward(new INDArray[] {x}, false).get("conv");

    for (int b = 0; b < 4; b++) {
      double[] alpha = new double[experts];
      double[] alphaRange = {1, 0};
      for (int m = 0; m < experts; m++) {
        double z = routingB.getDouble(0, m);
        for (int c = 0; c < in; c++) {
          z +=
              routingW.getDouble(c, m)
                  * x.get(NDArrayIndex.point(b), NDArrayIndex.point(c)).meanNumber().doubleValue();
        }
        alpha[m] = 1 / (1 + Math.exp(-z));
      }
      INDArray fused = Nd4j.zeros(DataType.DOUBLE, out, in / g, k, k);
      for (int m = 0; m < experts; m++) {
        fused.addi(experts2d.getRow(m).reshape('c', out, in / g, k, k).mul(alpha[m]));
      }
      INDArray expected = NaiveConv.conv(x.slice(b), fused, s, p, g);
      assertArrayEquals(expected.shape(), actual.slice(b).shape(), "output shape of sample " + b);
      assertTrue(
          expected.equalsWithEps(actual.slice(b), 1e-10),
          "sample " + b + " differs from a conv with its own fused kernel");
      alphaRange[0] = Math.min(alphaRange[0], alpha[0]);
    }
  }

  /** With identical experts W/(M alpha) and constant routing, the layer is the plain conv W. */
  @ParameterizedTest(name = "[{index}] {0}->{1} k{2} s{3} p{4} g{5}")
  @MethodSource("geometries")
  void equalsAPlainConvolutionWhenExpertsAgree(
      int in, int out, int k, int s, int p, int g, DynamicConv.Form form) {
    if (g != 1 && g != in) {
      return; // DL4J has no static grouped conv to compare with; the naive check above covers it
    }
    int experts = 4;
    ComputationGraph dynamic =
        singleLayerNet(dynamicConv(in, out, k, s, p, g, experts), in, DataType.DOUBLE, false);
    Layer staticLayer =
        g == 1
            ? new ConvolutionLayer.Builder(k, k)
                .stride(s, s)
                .padding(p, p)
                .nOut(out)
                .hasBias(false)
                .activation(new ActivationIdentity())
                .build()
            : new DepthwiseConvolution2D.Builder(k, k)
                .stride(s, s)
                .padding(p, p)
                .depthMultiplier(1)
                .hasBias(false)
                .activation(new ActivationIdentity())
                .build();
    ComputationGraph plain = singleLayerNet(staticLayer, in, DataType.DOUBLE, false);
    INDArray w = Nd4j.rand(DataType.DOUBLE, out, in / g, k, k).subi(0.5);
    double bias = 0.3;
    double alpha = 1 / (1 + Math.exp(-bias));
    org.deeplearning4j.nn.api.Layer d = dynamic.getLayer("conv");
    d.getParam(DynamicConvParamInitializer.ROUTING_WEIGHT_KEY).assign(0);
    d.getParam(DynamicConvParamInitializer.ROUTING_BIAS_KEY).assign(bias);
    INDArray expertRow = w.reshape('c', 1, w.length()).div(experts * alpha);
    for (int m = 0; m < experts; m++) {
      d.getParam(DynamicConvParamInitializer.EXPERTS_KEY).getRow(m).assign(expertRow);
    }
    INDArray plainW = plain.getLayer("conv").getParam("W");
    plainW.assign(g == 1 ? w : w.reshape('c', in, k, k).permute(1, 2, 0).reshape('c', k, k, in, 1));

    INDArray x = Nd4j.rand(DataType.DOUBLE, 5, in, SIZE, SIZE).subi(0.5);
    INDArray a = dynamic.feedForward(new INDArray[] {x}, false).get("conv");
    INDArray e = plain.feedForward(new INDArray[] {x}, false).get("conv");
    assertArrayEquals(e.shape(), a.shape());
    assertTrue(e.equalsWithEps(a, 1e-10), "dynamic conv with agreeing experts != plain conv");
  }

  /** A sample's output does not depend on the rest of its batch. */
  @ParameterizedTest(name = "[{index}] {0}->{1} k{2} s{3} p{4} g{5}")
  @MethodSource("geometries")
  void isBatchInvariant(int in, int out, int k, int s, int p, int g, DynamicConv.Form form) {
    ComputationGraph net =
        singleLayerNet(dynamicConv(in, out, k, s, p, g, 4), in, DataType.FLOAT, false);
    INDArray batch = Nd4j.rand(DataType.FLOAT, 6, in, SIZE, SIZE).subi(0.5);
    INDArray together = net.feedForward(new INDArray[] {batch}, false).get("conv");
    INDArray other = Nd4j.rand(DataType.FLOAT, 6, in, SIZE, SIZE).muli(3);
    other.get(NDArrayIndex.point(2)).assign(batch.slice(2));
    INDArray mixed = net.feedForward(new INDArray[] {other}, false).get("conv");
    INDArray alone =
        net.feedForward(new INDArray[] {batch.slice(2).reshape(1, in, SIZE, SIZE)}, false)
            .get("conv");
    assertTrue(together.slice(2).equalsWithEps(mixed.slice(2), 1e-6));
    assertTrue(together.slice(2).equalsWithEps(alone.slice(0), 1e-6));
  }

  /**
   * A training step routes each dynamic conv once: the backward pass reuses the forward pass's
   * pooled input, routing and fused kernels. They live in the activations workspace, so the
   * gradients with workspaces on (memory reused between the layers) equal those without.
   */
  @Test
  void theBackwardPassReusesTheForwardRoutingSafely() {
    INDArray[] gradients = new INDArray[2];
    WorkspaceMode[] modes = {WorkspaceMode.ENABLED, WorkspaceMode.NONE};
    for (int i = 0; i < 2; i++) {
      ComputationGraphConfiguration conf =
          new NeuralNetConfiguration.Builder()
              .seed(3)
              .dataType(DataType.FLOAT)
              .updater(new NoOp())
              .trainingWorkspaceMode(modes[i])
              .inferenceWorkspaceMode(modes[i])
              .convolutionMode(ConvolutionMode.Truncate)
              .graphBuilder()
              .addInputs("in")
              .addLayer("a", dynamicConv(4, 8, 1, 1, 0, 1, 3), "in")
              .addLayer("b", dynamicConv(8, 8, 3, 1, 1, 8, 3), "a")
              .addLayer("c", dynamicConv(8, 6, 3, 2, 1, 1, 3), "b")
              .addLayer(
                  "out",
                  new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                      .activation(new ActivationIdentity())
                      .nOut(3)
                      .build(),
                  "c")
              .setOutputs("out")
              .setInputTypes(InputType.convolutional(SIZE, SIZE, 4))
              .build();
      ComputationGraph net = new ComputationGraph(conf);
      net.init();
      Nd4j.getRandom().setSeed(11);
      net.setInputs(Nd4j.rand(DataType.FLOAT, 5, 4, SIZE, SIZE).subi(0.5));
      net.setLabels(Nd4j.rand(DataType.FLOAT, 5, 3));
      net.computeGradientAndScore();
      gradients[i] = net.gradient().gradient().dup();
      for (String name : new String[] {"a", "b", "c"}) {
        assertEquals(1, ((DynamicConvLayer) net.getLayer(name)).routings, name + " routed twice");
      }
    }
    assertTrue(gradients[0].amaxNumber().doubleValue() > 0);
    assertEquals(0, gradients[0].sub(gradients[1]).amaxNumber().doubleValue(), 1e-6);
  }

  /**
   * In float32 the depthwise form runs on the SIMD plane kernels (on planes where they are faster:
   * odd sizes here, no whole number of vectors wide); its gradients (through a leading conv, so the
   * input gradient too) equal the same network's in double precision, which runs on libnd4j's op
   * and passes the finite-difference check above.
   */
  @ParameterizedTest(name = "k{0} s{1} p{2} {3}x{3}")
  @CsvSource({"3, 1, 1, 15", "5, 2, 2, 17", "3, 2, 1, 15", "5, 1, 2, 17"})
  void theSimdDepthwisePathMatchesDoublePrecision(int k, int s, int p, int size) {
    assertFloatOnJavaKernelsMatchesDouble(5, 5, k, s, p, 5, size, 5);
  }

  /**
   * In float32 a stem-shaped dynamic conv (groups 1, three input channels) runs on the plane
   * kernels (PlaneConvolution) with each sample's fused kernels; its gradients equal the float64
   * network's, which runs im2col and matmuls and passes the finite-difference check above.
   */
  @ParameterizedTest(name = "k{0} s{1} p{2} {3}x{3}")
  @CsvSource({
    "3, 2, 1, 15",
    "3, 1, 1, 9",
    "5, 2, 2, 13",
    "3, 2, 1, 97" // 97x97: samples in parallel
  })
  void theStemOnThePlaneKernelsMatchesDoublePrecision(int k, int s, int p, int size) {
    int in = k == 5 ? 2 : 3; // at most 64 weights per output channel
    assertFloatOnJavaKernelsMatchesDouble(in, 6, k, s, p, 1, size, 8);
  }

  /**
   * The layer (behind a leading conv, so its input gradient counts) in float32, where its forward
   * and backward pass run on the Java kernels, against the same network in float64, where they do
   * not: gradients equal to 1e-5 of the largest.
   */
  private static void assertFloatOnJavaKernelsMatchesDouble(
      int in, int out, int k, int s, int p, int g, int size, long seed) {
    ComputationGraph single =
        singleLayerNet(dynamicConv(in, out, k, s, p, g, 3), in, DataType.FLOAT, true, size);
    ComputationGraph reference =
        singleLayerNet(dynamicConv(in, out, k, s, p, g, 3), in, DataType.DOUBLE, true, size);
    reference.setParams(single.params().castTo(DataType.DOUBLE));
    Nd4j.getRandom().setSeed(seed);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 4, in, size, size).subi(0.5);
    INDArray y = Nd4j.rand(DataType.DOUBLE, 4, 3);
    single.setInputs(x.castTo(DataType.FLOAT));
    single.setLabels(y.castTo(DataType.FLOAT));
    single.computeGradientAndScore();
    reference.setInputs(x);
    reference.setLabels(y);
    reference.computeGradientAndScore();
    assertEquals(2, ((DynamicConvLayer) single.getLayer("conv")).simdPasses, "Java kernel passes");
    assertEquals(0, ((DynamicConvLayer) reference.getLayer("conv")).simdPasses);
    INDArray expected = reference.gradient().gradient();
    INDArray actual = single.gradient().gradient().castTo(DataType.DOUBLE);
    double scale = expected.amaxNumber().doubleValue();
    assertTrue(scale > 0);
    assertEquals(0, expected.sub(actual).amaxNumber().doubleValue() / scale, 1e-5);
  }

  @Test
  void rejectsChannelsNotDivisibleByGroups() {
    IllegalArgumentException e =
        Assertions.assertThrows(
            IllegalArgumentException.class, () -> dynamicConv(6, 4, 3, 1, 1, 4, 2));
    assertTrue(e.getMessage().contains("not divisible by groups 4"), e.getMessage());
  }
}
