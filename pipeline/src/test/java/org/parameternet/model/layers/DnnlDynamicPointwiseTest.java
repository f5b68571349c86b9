package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The dynamic 1x1 conv on oneDNN's batched matmuls ({@link DnnlDynamicPointwise}, the default)
 * against libnd4j's batched matmul ({@code -Dpnet.kernels=reference}) on the same parameters, input
 * and output gradient: output within 1e-5 of its largest value, every gradient (experts, routing
 * weight and bias, input) within 1e-4 of its tensor's largest value.
 */
class DnnlDynamicPointwiseTest {
  @AfterEach
  void restoreSwitch() {
    System.clearProperty(KernelPolicy.SWITCH);
  }

  @ParameterizedTest(name = "batch {0}, {1}->{2} on {3}x{4}")
  @CsvSource({
    "1, 16, 24, 7, 7",
    "8, 16, 24, 7, 7",
    "32, 16, 24, 7, 7",
    "1, 36, 12, 28, 28",
    "8, 36, 12, 28, 28",
    "32, 36, 12, 28, 28",
    "8, 80, 120, 2, 2",
    "32, 20, 60, 3, 5"
  })
  void matchesLibnd4jsBatchedMatmul(int batch, int in, int out, int h, int w) {
    abTest(
        new DynamicConv.Builder().kernelSize(1).experts(4).nIn(in).nOut(out).build(), batch, h, w);
  }

  /** The input gradient either way ({@link KernelPolicy#dynamicInputGradientByPlanes}). */
  @ParameterizedTest(name = "{0}: batch {1}, {2}->{3} on {4}x{5}")
  @CsvSource({
    "kernel, 8, 80, 120, 2, 2",
    "planes, 8, 80, 120, 2, 2",
    "planes, 1, 16, 24, 7, 7",
    "planes, 32, 20, 60, 3, 5"
  })
  void inputGradientEitherWay(String way, int batch, int in, int out, int h, int w) {
    SystemProperties.with(
        KernelPolicy.NATIVE_DYNAMIC_DX,
        way,
        () -> matchesLibnd4jsBatchedMatmul(batch, in, out, h, w));
  }

  /**
   * The other forms share the routing's backward pass on Java arrays ({@code
   * KernelPolicy.javaRoutingBackward}): the same A/B check, depthwise on libnd4j's op (7x7) and on
   * the plane kernels (28x28), the stem's dense conv and a grouped conv.
   */
  @ParameterizedTest(name = "batch {0}, {1}->{2} k{3} s{4} g{5} on {6}x{6}")
  @CsvSource({
    "1, 24, 24, 3, 1, 24, 7",
    "8, 24, 24, 3, 1, 24, 7",
    "32, 24, 24, 3, 1, 24, 7",
    "1, 12, 12, 5, 2, 12, 28",
    "8, 12, 12, 3, 1, 12, 28",
    "32, 12, 12, 3, 2, 12, 28",
    "1, 3, 8, 3, 2, 1, 16",
    "8, 3, 8, 3, 2, 1, 16",
    "32, 3, 8, 3, 2, 1, 16",
    "8, 8, 12, 3, 1, 2, 9",
    "8, 12, 12, 1, 2, 1, 9"
  })
  void otherFormsMatchND4JsRoutingBackward(
      int batch, int in, int out, int k, int stride, int groups, int size) {
    abTest(
        new DynamicConv.Builder()
            .kernelSize(k)
            .stride(stride)
            .padding(k / 2)
            .groups(groups)
            .experts(4)
            .nIn(in)
            .nOut(out)
            .build(),
        batch,
        size,
        size);
  }

  private static void abTest(DynamicConv conf, int batch, int h, int w) {
    int in = (int) conf.getNIn();
    int out = (int) conf.getNOut();
    ComputationGraph net = network(conf, in, h, w);
    DynamicConvLayer layer = (DynamicConvLayer) net.getLayer("conv");
    Nd4j.getRandom().setSeed(7);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, in, h, w);
    INDArray epsilon =
        Nd4j.randn(DataType.FLOAT, batch, out, conf.outputSize(h), conf.outputSize(w));
    boolean matmul = conf.form() == DynamicConv.Form.POINTWISE && conf.getStride() == 1;
    // the gradient views exist after a first pass of the whole network
    net.setInputs(x);
    net.setLabels(epsilon);
    net.computeGradientAndScore();

    System.setProperty(KernelPolicy.SWITCH, "reference");
    long before = layer.dnnlPasses;
    long routingBefore = layer.javaRoutingPasses;
    Map<String, INDArray> reference = pass(layer, x, epsilon);
    assertEquals(before, layer.dnnlPasses, "the oneDNN path ran with the switch at reference");
    assertEquals(routingBefore, layer.javaRoutingPasses, "the Java routing ran at reference");

    System.setProperty(KernelPolicy.SWITCH, "fast");
    Map<String, INDArray> fast = pass(layer, x, epsilon);
    assertEquals(
        before + (matmul ? 2 : 0), layer.dnnlPasses, "the oneDNN path ran or did not as expected");
    assertEquals(routingBefore + 1, layer.javaRoutingPasses, "the Java routing did not run");

    for (Map.Entry<String, INDArray> e : reference.entrySet()) {
      INDArray ref = e.getValue();
      INDArray got = fast.get(e.getKey());
      double scale = ref.amaxNumber().doubleValue();
      double worst = got.sub(ref).amaxNumber().doubleValue();
      double tolerance = e.getKey().equals("output") ? 1e-5 : 1e-4;
      System.out.printf(
          "batch %d %s %dx%d %s: worst |difference| %.3g of largest %.3g (%.2g)%n",
          batch, conf, h, w, e.getKey(), worst, scale, worst / scale);
      assertTrue(scale > 0, e.getKey() + " is all zeros");
      assertTrue(
          worst <= tolerance * scale,
          e.getKey() + ": worst difference " + worst + " against largest value " + scale);
    }
  }

  /** Output, input gradient and parameter gradients of one training pass, copied. */
  private static Map<String, INDArray> pass(DynamicConvLayer layer, INDArray x, INDArray epsilon) {
    LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
    Map<String, INDArray> result = new LinkedHashMap<>();
    layer.setInput(x, mgr);
    result.put("output", layer.activate(true, mgr).dup());
    Pair<Gradient, INDArray> g = layer.backpropGradient(epsilon, mgr);
    result.put("input gradient", g.getSecond().dup());
    g.getFirst().gradientForVariable().forEach((k, v) -> result.put(k, v.dup()));
    return result;
  }

  private static ComputationGraph network(DynamicConv layer, int in, int h, int w) {
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(42)
            .dataType(DataType.FLOAT)
            .updater(new NoOp())
            .convolutionMode(ConvolutionMode.Truncate)
            .graphBuilder()
            .addInputs("in")
            .addLayer("conv", layer, "in")
            .addLayer(
                "loss",
                new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                    .activation(Activation.IDENTITY)
                    .build(),
                "conv")
            .setOutputs("loss")
            .setInputTypes(InputType.convolutional(h, w, in))
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }
}
