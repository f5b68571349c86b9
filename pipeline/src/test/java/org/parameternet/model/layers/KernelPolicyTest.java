package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;

/**
 * The kernel switch by its effect: with {@code -Dpnet.kernels=reference} none of our fast paths
 * runs (their pass counters stay at zero where the default runs them), and the network's loss and
 * every gradient agree with the default's to float32 rounding (1e-3 of each tensor's largest
 * gradient; of the network's largest for tensors whose true gradient is zero).
 */
class KernelPolicyTest {
  @AfterEach
  void restore() {
    System.clearProperty(KernelPolicy.SWITCH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ghostnet_small_64", "parameternet_small_64"})
  void referenceKernelsRunNoFastPathAndGiveTheSameGradients(String model) {
    ModelSpec spec = ModelRegistry.get(model).withClasses(10).withDropout(0);
    Nd4j.getRandom().setSeed(9);
    INDArray images = Nd4j.randn(DataType.FLOAT, 4, 3, 64, 64);
    INDArray labels = Nd4j.eye(10).getRows(0, 3, 5, 7).castTo(DataType.FLOAT);

    ComputationGraph fast = GhostNetBuilder.build(spec, 4);
    double fastScore = gradients(fast, images, labels);
    assertTrue(fastPasses(fast) > 0, "the default runs fast paths on these shapes");
    long nativeBlocks =
        Arrays.stream(fast.getLayers()).filter(l -> l instanceof NativeBottleneckLayer).count();
    // ParameterNet's blocks are native too (DnnlDynamicConv); RepConv's branched convs are not
    assertEquals(!model.startsWith("repconv"), nativeBlocks > 0, "native blocks by default");

    System.setProperty(KernelPolicy.SWITCH, "reference");
    ComputationGraph reference = GhostNetBuilder.build(spec, 4);
    reference.params().assign(fast.params());
    double referenceScore = gradients(reference, images, labels);
    assertEquals(0, fastPasses(reference), "a fast path ran with the switch at reference");

    assertEquals(fastScore, referenceScore, 1e-5 * Math.abs(fastScore));
    // the default's native blocks name their parameters with hyphens (NativeBottleneck.unfusedKey)
    Map<String, INDArray> a = new TreeMap<>();
    fast.gradient()
        .gradientForVariable()
        .forEach((key, g) -> a.put(NativeBottleneck.unfusedKey(key), g));
    Map<String, INDArray> b = new TreeMap<>(reference.gradient().gradientForVariable());
    assertEquals(a.keySet(), b.keySet());
    double largest =
        a.values().stream().mapToDouble(g -> g.amaxNumber().doubleValue()).max().orElseThrow();
    for (String key : a.keySet()) {
      // A BN beta that feeds only another conv + BN has no true gradient: what either path gives
      // there is float32 noise, so it is compared at a thousandth of the largest gradient
      double scale = Math.max(a.get(key).amaxNumber().doubleValue(), 1e-3 * largest);
      double diff = a.get(key).sub(b.get(key)).amaxNumber().doubleValue() / scale;
      assertTrue(diff < 1e-3, key + ": relative difference " + diff);
    }
  }

  /** Every block is native by default, squeeze-excite blocks too; the override keeps those out. */
  @Test
  void squeezeExciteBlocksAreNativeUnlessSwitchedOff() {
    assertEquals(16, nativeBlockConfigs("ghostnet_300m"));
    assertEquals(16, nativeBlockConfigs("ghostnet_small_64"));
    assertEquals(16, nativeBlockConfigs("parameternet_300m"));
    System.setProperty(KernelPolicy.NATIVE_SQUEEZE_EXCITE, "false");
    try {
      assertEquals(9, nativeBlockConfigs("ghostnet_300m"), "the 7 SE blocks of 16 unfused");
      assertEquals(9, nativeBlockConfigs("ghostnet_small_64"), "the same 7 SE blocks unfused");
    } finally {
      System.clearProperty(KernelPolicy.NATIVE_SQUEEZE_EXCITE);
    }
  }

  /**
   * ParameterNet's blocks are native by default; {@code -Dpnet.native.dynamic=false} unfuses them.
   */
  @Test
  void dynamicBlocksAreNativeUnlessSwitchedOff() {
    assertEquals(16, nativeBlockConfigs("parameternet_small_64"));
    assertEquals(19, nativeBlockConfigs("parameternet_600m"));
    assertEquals(0, nativeBlockConfigs("repconv_small_64"), "branched convs stay unfused");
    System.setProperty(KernelPolicy.NATIVE_DYNAMIC, "false");
    try {
      assertEquals(0, nativeBlockConfigs("parameternet_small_64"));
      assertEquals(16, nativeBlockConfigs("ghostnet_small_64"), "static blocks stay native");
    } finally {
      System.clearProperty(KernelPolicy.NATIVE_DYNAMIC);
    }
  }

  /**
   * A native block's norm kernel per {@code -Dpnet.native.norm} and layout: {@link PlanarNorm} on
   * NCHW by default, oneDNN's elsewhere; an unknown value is named.
   */
  @Test
  void planNormsFollowTheSettingAndTheLayout() {
    LaneLayout nchw = new LaneLayout(8, 12, 12, 49, 1);
    LaneLayout nhwc = new LaneLayout(8, 12, 1, 49, 12);
    Map<String, String> expected = new TreeMap<>();
    expected.put("auto", "PLANES ONEDNN ONEDNN");
    expected.put("java", "PLANES LANES ONEDNN");
    expected.put("lanes", "LANES LANES ONEDNN");
    expected.put("onednn", "ONEDNN ONEDNN ONEDNN");
    try {
      for (Map.Entry<String, String> e : expected.entrySet()) {
        System.setProperty(KernelPolicy.NATIVE_NORM, e.getKey());
        String chosen =
            KernelPolicy.planNorm(nchw)
                + " "
                + KernelPolicy.planNorm(nhwc)
                + " "
                + KernelPolicy.planNorm(null);
        assertEquals(e.getValue(), chosen, e.getKey());
      }
      System.setProperty(KernelPolicy.NATIVE_NORM, "planar");
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> KernelPolicy.planNorm(nchw));
      assertTrue(e.getMessage().contains("pnet.native.norm=planar"), e.getMessage());
    } finally {
      System.clearProperty(KernelPolicy.NATIVE_NORM);
    }
  }

  /**
   * The two-way switches: the default when unset, each of the two values, and an error naming the
   * property and both values for anything else.
   */
  @Test
  void dynamicInputGradientTakesThePlanesWhereTheyAreSmallerThanTheKernel() {
    try {
      assertTrue(KernelPolicy.dynamicInputGradientByPlanes(49, 1392, 116));
      assertFalse(KernelPolicy.dynamicInputGradientByPlanes(12544, 24, 12));
      assertFalse(KernelPolicy.dynamicInputGradientByPlanes(196, 488, 164));
      System.setProperty(KernelPolicy.NATIVE_DYNAMIC_DX, "kernel");
      assertFalse(KernelPolicy.dynamicInputGradientByPlanes(49, 1392, 116));
      System.setProperty(KernelPolicy.NATIVE_DYNAMIC_DX, "planes");
      assertTrue(KernelPolicy.dynamicInputGradientByPlanes(12544, 24, 12));
      System.setProperty(KernelPolicy.NATIVE_DYNAMIC_DX, "rows");
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> KernelPolicy.dynamicInputGradientByPlanes(49, 8, 8));
      assertTrue(e.getMessage().contains("pnet.native.dynamic-dx=rows"), e.getMessage());
    } finally {
      System.clearProperty(KernelPolicy.NATIVE_DYNAMIC_DX);
    }
  }

  @Test
  void theSqueezeExciteRunsOnNchwInUnstridedDynamicBlocks() {
    try {
      assertTrue(KernelPolicy.planarSqueezeExcite(true));
      assertFalse(KernelPolicy.planarSqueezeExcite(false));
      System.setProperty(KernelPolicy.NATIVE_SE_LAYOUT, "nhwc");
      assertFalse(KernelPolicy.planarSqueezeExcite(true));
      System.setProperty(KernelPolicy.NATIVE_SE_LAYOUT, "nchw");
      assertTrue(KernelPolicy.planarSqueezeExcite(false));
      System.setProperty(KernelPolicy.NATIVE_SE_LAYOUT, "blocked");
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> KernelPolicy.planarSqueezeExcite(true));
      assertTrue(e.getMessage().contains("pnet.native.se-layout=blocked"), e.getMessage());
    } finally {
      System.clearProperty(KernelPolicy.NATIVE_SE_LAYOUT);
    }
  }

  @Test
  void twoWaySwitchesReadTheirValuesAndRefuseOthers() {
    record Switch(String key, String on, String off, boolean byDefault, Supplier<Boolean> read) {}
    List<Switch> switches =
        List.of(
            new Switch(
                KernelPolicy.NATIVE_SQUEEZE_EXCITE,
                "true",
                "false",
                true,
                KernelPolicy::nativeSqueezeExcite),
            new Switch(
                KernelPolicy.NATIVE_SE_GATE,
                "onednn",
                "nd4j",
                true,
                KernelPolicy::dnnlSqueezeExciteGate),
            new Switch(
                KernelPolicy.NATIVE_FOLDED_NORM,
                "true",
                "false",
                true,
                KernelPolicy::foldedInferenceNorm),
            new Switch(
                KernelPolicy.NATIVE_ROUTING_POOL,
                "norm",
                "onednn",
                true,
                KernelPolicy::normPoolsRouting),
            new Switch(
                KernelPolicy.NATIVE_DYNAMIC,
                "true",
                "false",
                true,
                KernelPolicy::nativeDynamicBlocks));
    for (Switch w : switches) {
      try {
        System.clearProperty(w.key());
        assertEquals(w.byDefault(), w.read().get(), w.key() + " unset");
        System.setProperty(w.key(), w.on());
        assertTrue(w.read().get(), w.key() + "=" + w.on());
        System.setProperty(w.key(), w.off());
        assertFalse(w.read().get(), w.key() + "=" + w.off());
        System.setProperty(w.key(), "maybe");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, w.read()::get);
        assertEquals(
            "-D" + w.key() + "=maybe: expected " + w.on() + " or " + w.off(), e.getMessage());
      } finally {
        System.clearProperty(w.key());
      }
    }
  }

  private static long nativeBlockConfigs(String model) {
    var conf =
        GhostNetBuilder.configuration(
            ModelRegistry.get(model),
            new NeuralNetConfiguration.Builder().convolutionMode(ConvolutionMode.Truncate));
    return conf.getVertices().values().stream()
        .filter(
            v ->
                v instanceof LayerVertex l
                    && l.getLayerConf().getLayer() instanceof NativeBottleneck)
        .count();
  }

  @ParameterizedTest
  @ValueSource(strings = {"off", "Reference", ""})
  void anUnknownValueIsNamed(String value) {
    System.setProperty(KernelPolicy.SWITCH, value);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, KernelPolicy::fastPaths);
    assertTrue(e.getMessage().contains("fast, reference and native-blocks"), e.getMessage());
  }

  private static double gradients(ComputationGraph net, INDArray images, INDArray labels) {
    net.setInputs(images);
    net.setLabels(labels);
    net.computeGradientAndScore();
    return net.score();
  }

  /** How many times a layer of ours took a fast path. */
  private static long fastPasses(ComputationGraph net) {
    long passes = 0;
    for (Layer layer : net.getLayers()) {
      if (layer instanceof LeanConvolution.Runtime conv) {
        passes += conv.gemmPasses;
      } else if (layer instanceof LeanDepthwiseConvolution.Runtime depthwise) {
        passes += depthwise.javaPasses;
      } else if (layer instanceof DynamicConvLayer dynamic) {
        passes += dynamic.simdPasses + dynamic.dnnlPasses + dynamic.javaRoutingPasses;
      }
    }
    return passes;
  }
}
