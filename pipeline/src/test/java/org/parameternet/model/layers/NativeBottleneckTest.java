package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.parameternet.model.FeatureShape;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.GhostNetTopology;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.onnx.OnnxExport;
import org.parameternet.model.onnx.OnnxRuntimeCheck;
import org.parameternet.testing.UnfusedBlocks;

/**
 * The native bottleneck against the unfused layers it replaces, on the same parameters: one block
 * of ghostnet_small_64 behind a 1x1 conv (whose weight gradient carries the block's input gradient)
 * and an MSE loss. Outputs (training and inference) agree to 1e-5 of their largest value, every
 * gradient to 1e-4 of its tensor's largest, and the running statistics after a step to float
 * rounding; block 0 runs NHWC inside, block 2 blocked. {@code -Dpnet.kernels=fast} plays no native
 * block.
 */
// the unfused side of each comparison unless a test sets native-blocks
@ExtendWith(UnfusedBlocks.class)
class NativeBottleneckTest {
  private static final ModelSpec SPEC = ModelRegistry.get("ghostnet_small_64").withClasses(10);

  /**
   * Real blocks of each kind: ghostnet_small_64's plain b0 (NHWC inside) and b2 (blocked), its
   * stride-2 conv-shortcut b1 and b5 (3x3), SE b4, SE + stride-2 b3 (5x5), SE + conv-shortcut b9;
   * ghostnet_300m's stride-2 b5 at 28x28 and SE + stride-2 b11 (5x5) at 14x14. Not its b3 at 56x56:
   * there, at batch 32, oneDNN's float sums over 100k values per channel leave ghost module 1's
   * gradients up to 5e-4 (BN gamma 5e-3) from a double-precision reference where DL4J's layers
   * (double accumulators) stay within 1e-6; its plain b2 at 56x56 shows the same, smaller (2e-4).
   */
  /** Native blocks, SE blocks included whatever their size (GhostNet-300M's b11 is tested). */
  private static void nativeBlocksWithEverySqueezeExcite() {
    System.setProperty(KernelPolicy.SWITCH, "native-blocks");
    System.setProperty(KernelPolicy.NATIVE_SQUEEZE_EXCITE, "true");
  }

  static Stream<Arguments> cases() {
    String[][] blocks = {
      {"ghostnet_small_64", "0"},
      {"ghostnet_small_64", "2"},
      {"ghostnet_small_64", "1"},
      {"ghostnet_small_64", "5"},
      {"ghostnet_small_64", "4"},
      {"ghostnet_small_64", "3"},
      {"ghostnet_small_64", "9"},
      {"ghostnet_300m", "5"},
      {"ghostnet_300m", "11"}
    };
    return atEveryBatch(blocks);
  }

  @ParameterizedTest(name = "{0} block {1}, batch {2}, workspaces {3}")
  @MethodSource("cases")
  void nativeMatchesTheUnfusedLayers(String model, int block, int batch, boolean workspaces) {
    ModelSpec spec = ModelRegistry.get(model).withClasses(10);
    ComputationGraph unfused = blockNetwork(spec, block, workspaces);
    nativeBlocksWithEverySqueezeExcite();
    ComputationGraph fused = blockNetwork(spec, block, workspaces);
    assertEquals(1, nativeBlocks(fused));
    assertEquals(0, nativeBlocks(unfused));
    randomiseNorms(unfused);
    assertSameLayout(unfused, fused);
    fused.params().assign(unfused.params());

    FeatureShape in = GhostNetTopology.blockInput(spec, block);
    FeatureShape out = GhostNetTopology.blockInput(spec, block + 1);
    Nd4j.getRandom().setSeed(11 + batch);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, in.channels(), in.height(), in.width());
    INDArray labels = Nd4j.randn(DataType.FLOAT, batch, out.channels(), out.height(), out.width());

    for (boolean training : new boolean[] {true, false}) {
      INDArray expected =
          unfused.feedForward(new INDArray[] {x}, training, false).get("b" + block + "_add");
      INDArray actual = fused.feedForward(new INDArray[] {x}, training, false).get("b" + block);
      assertClose("output (training " + training + ")", expected, actual, 1e-5, 0);
    }

    unfused.setInputs(x);
    unfused.setLabels(labels);
    unfused.computeGradientAndScore();
    fused.setInputs(x);
    fused.setLabels(labels);
    fused.computeGradientAndScore();
    assertEquals(unfused.score(), fused.score(), 1e-5 * Math.abs(unfused.score()));
    assertGradientsClose(unfused, fused, 1e-4);

    unfused.fit(new INDArray[] {x}, new INDArray[] {labels});
    fused.fit(new INDArray[] {x}, new INDArray[] {labels});
    Map<String, INDArray> trained = unfusedNames(fused.paramTable());
    for (Map.Entry<String, INDArray> p : unfused.paramTable().entrySet()) {
      if (p.getKey().endsWith("_mean") || p.getKey().endsWith("_var")) {
        assertClose(p.getKey(), p.getValue(), trained.get(p.getKey()), 1e-5, 0);
      }
    }
  }

  /**
   * ParameterNet's blocks (dynamic ghost and shortcut convs, {@link DnnlDynamicConv}) against the
   * unfused layers, with {@code -Dpnet.native.dynamic=true}: parameternet_small_64's plain b0 and
   * b2, stride-2 conv-shortcut b1, SE + stride-2 b3 (5x5), SE b4, SE + conv-shortcut b9 (4x4), SE +
   * stride-2 b11 (4x4 to 2x2) and SE b12 (2x2, planes smaller than the kernel), and
   * parameternet_300m's stride-2 b5 at 28x28, at batch 1, 8 and 32, workspaces on and off.
   */
  static Stream<Arguments> dynamicCases() {
    String[][] blocks = {
      {"parameternet_small_64", "0"},
      {"parameternet_small_64", "2"},
      {"parameternet_small_64", "1"},
      {"parameternet_small_64", "3"},
      {"parameternet_small_64", "4"},
      {"parameternet_small_64", "9"},
      {"parameternet_small_64", "11"},
      {"parameternet_small_64", "12"},
      {"parameternet_300m", "5"}
    };
    return atEveryBatch(blocks);
  }

  /** Each {model, block index} at batch 1, 8 and 32, workspaces on and off. */
  private static Stream<Arguments> atEveryBatch(String[][] blocks) {
    Stream.Builder<Arguments> cases = Stream.builder();
    for (String[] block : blocks) {
      for (int batch : new int[] {1, 8, 32}) {
        for (boolean workspaces : new boolean[] {true, false}) {
          cases.add(Arguments.of(block[0], Integer.parseInt(block[1]), batch, workspaces));
        }
      }
    }
    return cases.build();
  }

  @ParameterizedTest(name = "{0} block {1}, batch {2}, workspaces {3}")
  @MethodSource("dynamicCases")
  void dynamicNativeMatchesTheUnfusedLayers(
      String model, int block, int batch, boolean workspaces) {
    System.setProperty(KernelPolicy.NATIVE_DYNAMIC, "true");
    nativeMatchesTheUnfusedLayers(model, block, batch, workspaces);
  }

  @Test
  void theDefaultPolicyPlaysNoNativeBlock() {
    assertEquals(0, nativeBlocks(GhostNetBuilder.build(SPEC, 1)));
    nativeBlocksWithEverySqueezeExcite();
    assertTrue(nativeBlocks(GhostNetBuilder.build(SPEC, 1)) > 0);
    assertEquals(0, nativeBlocks(GhostNetBuilder.build(SPEC, 1, DataType.DOUBLE)));
  }

  /**
   * Both ways of a depthwise conv's weight gradient, forced: the Java one (which the default picks
   * where oneDNN's is its gemm fallback: strided convs, planes smaller than the kernel) and
   * oneDNN's, on plain, strided (NHWC and blocked inside), SE and 2x2-plane blocks.
   */
  @ParameterizedTest(name = "{0}: {1} block {2}")
  @CsvSource({
    "java, ghostnet_small_64, 1",
    "java, ghostnet_small_64, 2",
    "java, ghostnet_small_64, 3",
    "java, ghostnet_small_64, 12",
    "java, ghostnet_300m, 5",
    "onednn, ghostnet_small_64, 3",
    "onednn, ghostnet_small_64, 12"
  })
  void eitherDepthwiseWeightGradientMatchesTheUnfusedLayers(String path, String model, int block) {
    SystemProperties.with(
        KernelPolicy.NATIVE_DW_WEIGHT_GRADIENT,
        path,
        () -> nativeMatchesTheUnfusedLayers(model, block, 8, true));
  }

  /**
   * Every way of a block's batch norms, forced: Java steps over the plan's buffers ({@link
   * LaneNorm}; {@link PlanarNorm} on NCHW with {@code java}) and oneDNN's primitive, on NHWC blocks
   * (small_64 b0-b2), blocked ones with padded channel blocks (b3, b9, b12), SE and strided blocks
   * and 2x2 planes; and ParameterNet's blocks, whose dynamic convs write NCHW planes ({@link
   * PlanarNorm} there by default, so the dynamic cases above run it; here oneDNN's, {@link
   * LaneNorm}'s, and Java on the static NHWC parts too).
   */
  @ParameterizedTest(name = "{0}: {1} block {2}, batch {3}")
  @CsvSource({
    "java, ghostnet_small_64, 0, 1",
    "java, ghostnet_small_64, 1, 8",
    "java, ghostnet_small_64, 3, 8",
    "java, ghostnet_small_64, 12, 32",
    "java, ghostnet_300m, 11, 8",
    "onednn, ghostnet_small_64, 1, 8",
    "onednn, ghostnet_small_64, 3, 8",
    "onednn, ghostnet_small_64, 12, 8",
    "onednn, ghostnet_300m, 5, 8",
    "java, parameternet_small_64, 1, 8",
    "java, parameternet_small_64, 12, 32",
    "lanes, parameternet_small_64, 1, 8",
    "lanes, parameternet_small_64, 12, 32",
    "onednn, parameternet_small_64, 3, 8",
    "onednn, parameternet_300m, 5, 8"
  })
  void eitherNormMatchesTheUnfusedLayers(String path, String model, int block, int batch) {
    SystemProperties.with(
        KernelPolicy.NATIVE_NORM,
        path,
        () -> nativeMatchesTheUnfusedLayers(model, block, batch, true));
  }

  /**
   * ParameterNet's blocks with their routing pools done by the convs ({@code
   * -Dpnet.native.routing-pool=onednn}), where the default has the {@link PlanarNorm}s that write
   * their inputs do them (the dynamic cases above): plain (ghost module 1's concat) and SE with a
   * conv shortcut.
   */
  @ParameterizedTest(name = "{0}: {1} block {2}, batch {3}")
  @CsvSource({"onednn, parameternet_small_64, 0, 8", "onednn, parameternet_small_64, 9, 32"})
  void eitherRoutingPoolMatchesTheUnfusedLayers(String path, String model, int block, int batch) {
    System.setProperty(KernelPolicy.NATIVE_DYNAMIC, "true");
    SystemProperties.with(
        KernelPolicy.NATIVE_ROUTING_POOL,
        path,
        () -> nativeMatchesTheUnfusedLayers(model, block, batch, true));
  }

  /**
   * Both ways of a squeeze-excite's gate, forced: oneDNN matmuls in the plan ({@link
   * DnnlSqueezeExciteGate}) and sgemms on Java arrays ({@link SqueezeExciteGate}), on SE blocks
   * with planes 8x8 to 2x2, strided or not, batch 1 to 32.
   */
  @ParameterizedTest(name = "{0}: {1} block {2}, batch {3}")
  @CsvSource({
    "onednn, ghostnet_small_64, 3, 1",
    "onednn, ghostnet_small_64, 3, 32",
    "onednn, ghostnet_small_64, 4, 8",
    "onednn, ghostnet_small_64, 9, 8",
    "onednn, ghostnet_small_64, 11, 32",
    "onednn, ghostnet_300m, 5, 8",
    "onednn, ghostnet_300m, 11, 1",
    "nd4j, ghostnet_small_64, 3, 8",
    "nd4j, ghostnet_small_64, 11, 8"
  })
  void eitherSqueezeExciteGateMatchesTheUnfusedLayers(
      String path, String model, int block, int batch) {
    SystemProperties.with(
        KernelPolicy.NATIVE_SE_GATE,
        path,
        () -> nativeMatchesTheUnfusedLayers(model, block, batch, true));
  }

  /**
   * Both layouts of a squeeze-excite's map, forced: NHWC in ParameterNet's unstrided SE blocks
   * (whose default is NCHW, their concat's layout) and NCHW in strided and static ones (whose
   * default is NHWC), planes 8x8 to 2x2, batch 1 to 32.
   */
  @ParameterizedTest(name = "{0}: {1} block {2}, batch {3}")
  @CsvSource({
    "nhwc, parameternet_small_64, 4, 8",
    "nhwc, parameternet_small_64, 9, 32",
    "nhwc, parameternet_small_64, 12, 1",
    "nchw, parameternet_small_64, 3, 8",
    "nchw, parameternet_small_64, 11, 32",
    "nchw, ghostnet_small_64, 4, 8",
    "nchw, ghostnet_small_64, 3, 1"
  })
  void eitherSqueezeExciteLayoutMatchesTheUnfusedLayers(
      String layout, String model, int block, int batch) {
    System.setProperty(KernelPolicy.NATIVE_DYNAMIC, "true");
    SystemProperties.with(
        KernelPolicy.NATIVE_SE_LAYOUT,
        layout,
        () -> nativeMatchesTheUnfusedLayers(model, block, batch, true));
  }

  /**
   * An inference plan's norms both ways, forced: as post-ops of their convs ({@link
   * DnnlFoldedNorm}, the default) and as their own primitives; NHWC and blocked blocks, ghost
   * module 2's primary conv over both halves (a sum post-op before the norm's), conv shortcuts, SE.
   */
  @ParameterizedTest(name = "folded {0}: {1} block {2}, batch {3}")
  @CsvSource({
    "true, ghostnet_small_64, 0, 1",
    "true, ghostnet_small_64, 2, 1",
    "true, ghostnet_small_64, 3, 8",
    "true, ghostnet_300m, 5, 1",
    "true, ghostnet_300m, 11, 1",
    "false, ghostnet_small_64, 2, 1",
    "false, ghostnet_300m, 5, 1"
  })
  void eitherInferenceNormMatchesTheUnfusedLayers(
      String folded, String model, int block, int batch) {
    SystemProperties.with(
        KernelPolicy.NATIVE_FOLDED_NORM,
        folded,
        () -> nativeMatchesTheUnfusedLayers(model, block, batch, true));
  }

  /** The small cell's two models, every block native in both (ParameterNet's dynamic ones too). */
  static Stream<String> smallModels() {
    return Stream.of("ghostnet_small_64", "parameternet_small_64");
  }

  /** Native blocks for {@code model}: ParameterNet's dynamic ones too. */
  private static ModelSpec nativeSpec(String model) {
    System.setProperty(KernelPolicy.NATIVE_DYNAMIC, "true");
    return ModelRegistry.get(model).withClasses(10);
  }

  /** The whole network, switch on against off, as {@code KernelPolicyTest} holds the kernels. */
  @ParameterizedTest
  @MethodSource("smallModels")
  void theWholeNetworkGivesTheSameLossAndGradients(String model) {
    ModelSpec spec = nativeSpec(model).withDropout(0);
    Nd4j.getRandom().setSeed(9);
    INDArray images = Nd4j.randn(DataType.FLOAT, 8, 3, 64, 64);
    INDArray labels = Nd4j.eye(10).getRows(0, 3, 5, 7, 1, 2, 4, 9).castTo(DataType.FLOAT);
    ComputationGraph off = GhostNetBuilder.build(spec, 4);
    nativeBlocksWithEverySqueezeExcite();
    ComputationGraph on = GhostNetBuilder.build(spec, 4);
    assertEquals(spec.blocks().size(), nativeBlocks(on));
    randomiseNorms(off);
    assertSameLayout(off, on);
    on.params().assign(off.params());
    for (ComputationGraph net : new ComputationGraph[] {off, on}) {
      net.setInputs(images);
      net.setLabels(labels);
      net.computeGradientAndScore();
    }
    assertEquals(off.score(), on.score(), 1e-5 * Math.abs(off.score()));
    Map<String, INDArray> a = off.gradient().gradientForVariable();
    Map<String, INDArray> b = unfusedNames(on.gradient().gradientForVariable());
    assertEquals(a.keySet(), b.keySet());
    double largest =
        a.values().stream().mapToDouble(g -> g.amaxNumber().doubleValue()).max().orElseThrow();
    for (String key : a.keySet()) {
      assertClose("network " + key, a.get(key), b.get(key), 1e-3, 1e-3 * largest);
    }
  }

  /** A checkpoint's configuration comes back with its native blocks and parameter order. */
  @ParameterizedTest
  @MethodSource("smallModels")
  void theConfigurationSurvivesJson(String model) {
    ModelSpec spec = nativeSpec(model);
    nativeBlocksWithEverySqueezeExcite();
    ComputationGraph net = GhostNetBuilder.build(spec, 2);
    ComputationGraphConfiguration conf = net.getConfiguration();
    ComputationGraphConfiguration restored = ComputationGraphConfiguration.fromJson(conf.toJson());
    assertEquals(conf.getTopologicalOrderStr(), restored.getTopologicalOrderStr());
    System.clearProperty(KernelPolicy.SWITCH);
    ComputationGraph copy = new ComputationGraph(restored);
    copy.init(net.params().dup(), false);
    assertEquals(nativeBlocks(net), nativeBlocks(copy));
    assertEquals(net.paramTable().keySet(), copy.paramTable().keySet());
    INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 64, 64);
    assertEquals(net.outputSingle(x), copy.outputSingle(x));
  }

  /**
   * A live native-blocks network exports the same ONNX model as the unfused network with its
   * parameters, and ONNX Runtime agrees with it (the export finds each unfused layer's parameters
   * inside the native blocks).
   */
  @ParameterizedTest
  @MethodSource("smallModels")
  void aNativeBlocksNetworkExportsAsTheUnfusedOne(String name) {
    ModelSpec spec = nativeSpec(name);
    ComputationGraph unfused = GhostNetBuilder.build(spec, 2);
    randomiseNorms(unfused);
    nativeBlocksWithEverySqueezeExcite();
    ComputationGraph fused = GhostNetBuilder.build(spec, 2);
    fused.setParams(unfused.params().dup());
    assertEquals(spec.blocks().size(), nativeBlocks(fused));

    byte[] model = OnnxExport.export(spec, fused, OnnxExport.Options.batch(2)).toByteArray();

    assertArrayEquals(
        OnnxExport.export(spec, unfused, OnnxExport.Options.batch(2)).toByteArray(), model);
    OnnxRuntimeCheck.compare(fused, model, 2, 64).requireWithinTolerance();
  }

  static long nativeBlocks(ComputationGraph net) {
    return Stream.of(net.getLayers()).filter(l -> l instanceof NativeBottleneckLayer).count();
  }

  /**
   * Block {@code index} alone, after a 1x1 conv and before an MSE loss; with native blocks, in the
   * unfused graph's parameter order, as the builder gives a whole network.
   */
  static ComputationGraph blockNetwork(ModelSpec spec, int index, boolean workspaces) {
    ComputationGraphConfiguration conf = blockConfiguration(spec, index, workspaces);
    if (KernelPolicy.nativeBlocks()) {
      System.setProperty(KernelPolicy.SWITCH, "fast");
      ComputationGraphConfiguration unfused = blockConfiguration(spec, index, workspaces);
      nativeBlocksWithEverySqueezeExcite();
      GhostNetBuilder.followUnfusedOrder(conf, unfused);
    }
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }

  private static ComputationGraphConfiguration blockConfiguration(
      ModelSpec spec, int index, boolean workspaces) {
    FeatureShape in = GhostNetTopology.blockInput(spec, index);
    WorkspaceMode mode = workspaces ? WorkspaceMode.ENABLED : WorkspaceMode.NONE;
    NeuralNetConfiguration.Builder base =
        new NeuralNetConfiguration.Builder()
            .seed(5)
            .dataType(DataType.FLOAT)
            .updater(new Adam(1e-3))
            .convolutionMode(ConvolutionMode.Truncate)
            .trainingWorkspaceMode(mode)
            .inferenceWorkspaceMode(mode);
    ComputationGraphConfiguration.GraphBuilder graph = base.graphBuilder().addInputs("input");
    graph.addLayer(
        "pre",
        new ConvolutionLayer.Builder(1, 1)
            .nIn(in.channels())
            .nOut(in.channels())
            .hasBias(false)
            .activation(Activation.IDENTITY)
            .build(),
        "input");
    String out = GhostNetBuilder.bottleneck(spec, index, base, graph, "pre");
    graph
        .addLayer(
            "loss",
            new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                .activation(Activation.IDENTITY)
                .build(),
            out)
        .setOutputs("loss")
        .setInputTypes(InputType.convolutional(in.height(), in.width(), in.channels()));
    return graph.build();
  }

  /** Gamma, beta and running statistics away from their initial 1, 0, 0, 1. */
  private static void randomiseNorms(ComputationGraph net) {
    Nd4j.getRandom().setSeed(3);
    for (Map.Entry<String, INDArray> p : net.paramTable().entrySet()) {
      INDArray v = p.getValue();
      INDArray u = Nd4j.rand(DataType.FLOAT, v.shape());
      String key = p.getKey();
      if (key.endsWith("_gamma") || key.endsWith("_var")) {
        v.assign(u.addi(0.5));
      } else if (key.endsWith("_beta") || key.endsWith("_mean")) {
        v.assign(u.subi(0.5));
      }
    }
  }

  /** Same keys, shapes and flat order: every named view reads the same flat range. */
  private static void assertSameLayout(ComputationGraph unfused, ComputationGraph fused) {
    Map<String, INDArray> a = unfused.paramTable();
    Map<String, INDArray> b = unfusedNames(fused.paramTable());
    assertEquals(a.keySet(), b.keySet());
    assertEquals(unfused.numParams(), fused.numParams());
    INDArray original = unfused.params().dup();
    INDArray flat = Nd4j.arange(unfused.numParams()).castTo(DataType.FLOAT);
    unfused.params().assign(flat.reshape(unfused.params().shape()));
    fused.params().assign(flat.reshape(fused.params().shape()));
    for (String key : a.keySet()) {
      assertArrayEquals(a.get(key).shape(), b.get(key).shape(), key);
      assertEquals(a.get(key), b.get(key), key);
    }
    unfused.params().assign(original);
  }

  private static void assertGradientsClose(
      ComputationGraph unfused, ComputationGraph fused, double tolerance) {
    Map<String, INDArray> a = unfused.gradient().gradientForVariable();
    Map<String, INDArray> b = unfusedNames(fused.gradient().gradientForVariable());
    assertEquals(a.keySet(), b.keySet());
    for (String key : a.keySet()) {
      assertClose("gradient " + key, a.get(key), b.get(key), tolerance, gradientFloor(a, key));
    }
  }

  /**
   * The scale below which a gradient is rounding noise. A BN's beta gradient is analytically zero
   * where the BN feeds only a conv and another (training-mode) BN, which removes any per-channel
   * shift (the shortcut's depthwise BN, the strided depthwise BN): both sides then hold noise of
   * the size of that BN's gamma gradient's rounding, so betas are held to their gamma's scale.
   */
  private static double gradientFloor(Map<String, INDArray> gradients, String key) {
    if (!key.endsWith("_bn_beta")) {
      return 1e-7;
    }
    INDArray gamma = gradients.get(key.substring(0, key.length() - "beta".length()) + "gamma");
    return Math.max(1e-7, gamma.amaxNumber().doubleValue());
  }

  private static Map<String, INDArray> unfusedNames(Map<String, INDArray> fused) {
    Map<String, INDArray> named = new java.util.LinkedHashMap<>();
    fused.forEach((key, value) -> named.put(NativeBottleneck.unfusedKey(key), value));
    return named;
  }

  /**
   * {@code max|a - b| <= tolerance * max(max|a|, floor)}; the worst ratio per kind of check (the
   * text before the first space) is printed after each case.
   */
  static void assertClose(String what, INDArray a, INDArray b, double tolerance, double floor) {
    assertArrayEquals(a.shape(), b.shape(), what);
    double scale = Math.max(a.amaxNumber().doubleValue(), floor);
    double diff = a.sub(b).amaxNumber().doubleValue();
    WORST.merge(what.split(" ")[0].replaceAll("^b\\d+_.*", "running"), diff / scale, Math::max);
    assertTrue(diff <= tolerance * scale, what + ": max diff " + diff + " of max " + scale);
  }

  private static final Map<String, Double> WORST = new java.util.TreeMap<>();

  @AfterEach
  void report(org.junit.jupiter.api.TestInfo info) {
    if (!WORST.isEmpty()) {
      System.out.println("worst relative differences, " + info.getDisplayName() + ": " + WORST);
      WORST.clear();
    }
  }
}
