package org.parameternet.model.layers;

import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The one place that decides which kernel a layer runs: each of our layers asks here before it
 * leaves DL4J's and libnd4j's own ops for one of ours, and each answer names the measured threshold
 * behind it (in the kernel class it cites). docs/architecture.md, "Which kernel runs", tabulates
 * them.
 *
 * <p>The switch {@code -Dpnet.kernels=reference} (e.g. {@code
 * PNET_JAVA_OPTS=-Dpnet.kernels=reference bin/pnet ...}, or {@code
 * spark.executor.extraJavaOptions}) turns every fast path of ours off: layers run DL4J's ops, with
 * oneDNN's helpers as configured ({@code org.eclipse.deeplearning4j.helpers.disable} turns those
 * off). It is for A/B runs and for narrowing down a numerical problem; results agree with the fast
 * paths to float32 rounding. It is read on every decision, so a test can flip it.
 *
 * <p>{@code -Dpnet.kernels=native-blocks}, the default, is the fast paths plus whole GhostNet
 * bottlenecks as one oneDNN layer ({@link NativeBottleneck}) where the builder can use one; it is
 * held to the unfused layers by {@code NativeBottleneckTest}. {@code -Dpnet.kernels=fast} keeps
 * every bottleneck as unfused DL4J layers (with our fast kernels), for A/B runs of the native
 * blocks.
 */
public final class KernelPolicy {
  /**
   * The system property: {@code native-blocks} (the default), {@code fast} or {@code reference}.
   */
  public static final String SWITCH = "pnet.kernels";

  /**
   * The default: GhostNet trained faster with the native blocks than with the unfused layers in
   * every {@code bench models} run at both cells, with each OpenMP setting (docs/commands/bench.md,
   * "Threads and native blocks").
   */
  static final String DEFAULT = "native-blocks";

  private KernelPolicy() {}

  /** Whether our fast paths may run at all ({@link #SWITCH}). */
  public static boolean fastPaths() {
    return !switchValue().equals("reference");
  }

  /**
   * Whether the builder may play a plain GhostNet bottleneck as one {@link NativeBottleneck}
   * ({@link NativeBottleneck#supports}); read when the network is configured.
   */
  public static boolean nativeBlocks() {
    return switchValue().equals("native-blocks");
  }

  private static String switchValue() {
    String value = System.getProperty(SWITCH, DEFAULT);
    return switch (value) {
      case "fast", "reference", "native-blocks" -> value;
      default -> throw new IllegalArgumentException(
          "-D" + SWITCH + "=" + value + ": allowed values are fast, reference and native-blocks");
    };
  }

  /**
   * A static 1x1 conv as one sgemm per sample ({@link PointwiseGemm}): plain geometry, float32, on
   * planes of at least {@link PointwiseGemm#MIN_PLANE}.
   */
  static boolean pointwiseGemm(ConvolutionLayer conf, INDArray input, DataType dataType) {
    return fastPaths() && input != null && PointwiseGemm.applies(conf, input, dataType);
  }

  /**
   * A dense conv with few weights per output ({@link PlaneConvolution}, the stem) on the SIMD plane
   * kernels: at most {@link PlaneConvolution#MAX_WEIGHTS_PER_OUTPUT} weights per output value.
   */
  static boolean planeConvolution(long inChannels, int kernel) {
    return fastPaths() && VectorKernels.available() && PlaneConvolution.fits(inChannels, kernel);
  }

  /**
   * A depthwise conv on the SIMD plane kernels ({@link DepthwisePlanes}) where they beat libnd4j's
   * op ({@link DepthwisePlanes#faster}: strided or per-sample from 14x14, stride 1 from 56x56).
   */
  static boolean planeDepthwise(int h, int w, int stride, boolean perSampleKernels) {
    return fastPaths()
        && VectorKernels.available()
        && DepthwisePlanes.faster(h, w, stride, perSampleKernels);
  }

  /**
   * A dynamic 1x1 conv (stride 1, float32) as oneDNN batched matmuls ({@link
   * DnnlDynamicPointwise}): 2.5-5x libnd4j's batched matmul on every ParameterNet shape measured,
   * from 2x2 to 112x112 planes, so no threshold. {@code -Dpnet.dynamic.matmul=false} turns it alone
   * off, for measuring.
   */
  static boolean dnnlDynamicPointwise(int stride, DataType dataType) {
    return fastPaths()
        && stride == 1
        && dataType == DataType.FLOAT
        && !System.getProperty(DYNAMIC_MATMUL, "true").equals("false");
  }

  /** The override of {@link #dnnlDynamicPointwise}. */
  public static final String DYNAMIC_MATMUL = "pnet.dynamic.matmul";

  /**
   * A dynamic conv's routing backward pass after its two products with the kernels' gradient on
   * Java arrays ({@code DynamicConvLayer.routingTail}): B x M and B x C_in values, for which
   * libnd4j's op calls cost more than their arithmetic. Float32. {@code
   * -Dpnet.dynamic.routing=false} turns it alone off, for measuring.
   */
  static boolean javaRoutingBackward(DataType dataType) {
    return fastPaths()
        && dataType == DataType.FLOAT
        && !System.getProperty(JAVA_ROUTING, "true").equals("false");
  }

  /** The override of {@link #javaRoutingBackward}. */
  public static final String JAVA_ROUTING = "pnet.dynamic.routing";

  /**
   * The updater's in-place path over the network's own flat gradient ({@code
   * org.parameternet.train.FlatGradientUpdater}) rather than DL4J's per-step views of it.
   */
  public static boolean flatGradientUpdate() {
    return fastPaths();
  }

  /** Batch norm and its activation fused in two passes each way ({@link FusedBatchNorm}). */
  static boolean fusedBatchNorm() {
    return fastPaths();
  }

  /**
   * Whether a {@link NativeBottleneck} keeps its activations in oneDNN's blocked layouts (else
   * NHWC). The spike (branch spike/onednn-bottleneck) measured blocked ahead on GhostNet-300M's
   * wide maps (3.2x the unfused layers at 112x112, 4.9x at 14x14, NHWC 2.4x and 2.0x) and NHWC
   * ahead on the small cell's narrow ones (11-12x against 6.5x): blocked from an expansion width of
   * {@link #BLOCKED_FROM_MID}. {@code -Dpnet.native.layout=blocked|nhwc} overrides it, for
   * measuring.
   */
  static boolean nativeBlockedLayout(int mid, int height) {
    return switch (System.getProperty("pnet.native.layout", "auto")) {
      case "blocked" -> true;
      case "nhwc" -> false;
      default -> mid >= BLOCKED_FROM_MID;
    };
  }

  /**
   * Whether a native block may include its squeeze-excite (else the SE block stays unfused): yes,
   * unless {@code -Dpnet.native.squeeze-excite=false}, for measuring. Each SE block of
   * GhostNet-300M and of the small cell trained 1.2-5.6x faster native than unfused in
   * NativeBottleneckBench once the SE's map passes left oneDNN 2.5's reference kernels ({@link
   * DnnlSqueezeExcite}).
   */
  public static boolean nativeSqueezeExcite() {
    return either(NATIVE_SQUEEZE_EXCITE, "true", "true", "false");
  }

  /**
   * Whether a native block's squeeze-excite runs its gate's products as oneDNN matmuls inside the
   * plan ({@link DnnlSqueezeExciteGate}, the default) rather than as {@code Nd4j.gemm} calls on
   * Java arrays ({@link SqueezeExciteGate}). {@code -Dpnet.native.se-gate=onednn|nd4j}; read at
   * plan build. Whole ghostnet_small_64 steps (batch 64) timed in alternation in one JVM ({@code
   * tools/native-bench.sh ab ghostnet_small_64 64 N pnet.native.se-gate=nd4j,onednn}): 148.6 to
   * 122.7 ms (forward + backward), 130.2 to 109.2 and 188.2 to 176.8 ms (whole fit steps, OpenMP
   * spinning and passive).
   */
  static boolean dnnlSqueezeExciteGate() {
    return either(NATIVE_SE_GATE, "onednn", "onednn", "nd4j");
  }

  /** The override of {@link #dnnlSqueezeExciteGate}. */
  static final String NATIVE_SE_GATE = "pnet.native.se-gate";

  /**
   * Whether a native block's squeeze-excite runs on NCHW copies of its map ({@link
   * DnnlSqueezeExcite}) rather than NHWC: by default where the block's concat is NCHW anyway, a
   * ParameterNet block without a strided conv ({@code dynamicUnstrided}), whose dynamic convs read
   * and write NCHW. There the NHWC SE cost six NCHW <-> NHWC transposes a block a step (the
   * concat's two halves, the SE's output for the dynamic conv, and their gradients). {@code
   * -Dpnet.native.se-layout=auto|nchw|nhwc}; read at plan build.
   */
  static boolean planarSqueezeExcite(boolean dynamicUnstrided) {
    String value = System.getProperty(NATIVE_SE_LAYOUT, "auto");
    return switch (value) {
      case "auto" -> dynamicUnstrided;
      case "nchw" -> true;
      case "nhwc" -> false;
      default -> throw new IllegalArgumentException(
          "-D" + NATIVE_SE_LAYOUT + "=" + value + ": expected auto, nchw or nhwc");
    };
  }

  /** The override of {@link #planarSqueezeExcite}. */
  static final String NATIVE_SE_LAYOUT = "pnet.native.se-layout";

  /**
   * Whether an inference plan's batch norms and their activations run as post-ops of the conv
   * before each ({@link DnnlFoldedNorm}) rather than as their own primitives ({@link DnnlNorm}, or
   * {@link LaneNorm} when asked for). {@code -Dpnet.native.folded-norm=false} keeps the separate
   * norms, for A/B runs.
   */
  static boolean foldedInferenceNorm() {
    return either(NATIVE_FOLDED_NORM, "true", "true", "false");
  }

  /** The override of {@link #foldedInferenceNorm}. */
  static final String NATIVE_FOLDED_NORM = "pnet.native.folded-norm";

  /**
   * Whether a native block's depthwise conv computes its weight gradient in Java ({@link
   * DepthwiseWeightGradient}) rather than with oneDNN's backward-weights primitive {@code impl}:
   * where oneDNN 2.5 falls back to its gemm-based implementation (strided convs, planes smaller
   * than the kernel), which took 4.5-36 ms a call for a few million multiply-adds. {@code
   * -Dpnet.native.dw-weight-gradient=java|onednn} forces either, for A/B runs and tests.
   */
  static boolean javaDepthwiseWeightGradient(String impl) {
    String value = System.getProperty(NATIVE_DW_WEIGHT_GRADIENT, "auto");
    return switch (value) {
      case "java" -> true;
      case "onednn" -> false;
      case "auto" -> impl.contains("gemm");
      default -> throw new IllegalArgumentException(
          "-D" + NATIVE_DW_WEIGHT_GRADIENT + "=" + value + ": expected auto, java or onednn");
    };
  }

  /**
   * Whether a dynamic 1x1 conv over {@code plane} pixels, {@code in} to {@code out} channels,
   * computes its input gradient from the planes' side rather than the kernel's ({@link
   * DynamicInputGradient}): where the two transposed planes are smaller than the kernel, {@code
   * plane (in + out) < in out}. In parameternet_300m's profile the replaced matmuls' time fell by a
   * quarter (about 12 ms a step); whole {@code fit} steps timed in alternation in one JVM were
   * 1.3-2.8% faster in 4 of 7 runs and 0.6-1.8% slower in 3 (the machine's noise), and
   * parameternet_small_64's 2.5-9.3% faster in 4 of 5 runs and 3.3% slower in one. {@code
   * -Dpnet.native.dynamic-dx=auto|kernel|planes} forces either, for A/B runs and tests; read when a
   * plan or layer program is built.
   */
  static boolean dynamicInputGradientByPlanes(long plane, long in, long out) {
    String value = System.getProperty(NATIVE_DYNAMIC_DX, "auto");
    return switch (value) {
      case "planes" -> true;
      case "kernel" -> false;
      case "auto" -> plane * (in + out) < in * out;
      default -> throw new IllegalArgumentException(
          "-D" + NATIVE_DYNAMIC_DX + "=" + value + ": expected auto, kernel or planes");
    };
  }

  /** The override of {@link #dynamicInputGradientByPlanes}. */
  static final String NATIVE_DYNAMIC_DX = "pnet.native.dynamic-dx";

  /** Which kernel runs a native block's batch norm and its activation ({@link #planNorm}). */
  enum NormKernel {
    /** oneDNN's batch norm and eltwise primitives ({@link DnnlNorm}). */
    ONEDNN,
    /** Java steps sample by sample over any {@link LaneLayout} ({@link LaneNorm}). */
    LANES,
    /**
     * Java steps channel by channel over NCHW planes, each channel read once ({@link PlanarNorm}).
     */
    PLANES
  }

  /**
   * Which kernel runs a native block's batch norm (and its activation) over a buffer laid out as
   * {@code layout} (null: a layout {@link LaneLayout} does not know). {@code auto} (the default)
   * takes {@link PlanarNorm} on NCHW planes, the layout ParameterNet's dynamic convs write: oneDNN
   * 2.5 has no JIT kernel there, only its C++ {@code ncsp_bnorm}, which took 40% of a
   * parameternet_300m step's native time, 1.3-2.2x its blocked {@code bnorm_jit} on the same
   * shapes; and {@link LaneNorm}'s sample-by-sample passes read each buffer twice (bench.md,
   * "Planar norms"). Elsewhere oneDNN's: on the small cell's narrow NHWC and padded blocked maps
   * {@link LaneNorm} took half of {@code bnorm_jit}'s time in the profile, yet whole
   * ghostnet_small_64 steps timed in alternation in one JVM ran faster with oneDNN's (112-120 ms
   * against 130-143, two runs). {@code -Dpnet.native.norm=java} takes the Java kernels wherever the
   * layout allows ({@link PlanarNorm} on NCHW), {@code lanes} {@link LaneNorm} on every layout it
   * knows, and {@code onednn} oneDNN's everywhere, for A/B runs and tests.
   */
  static NormKernel planNorm(LaneLayout layout) {
    String value = System.getProperty(NATIVE_NORM, "auto");
    boolean planar = layout != null && layout.planar();
    return switch (value) {
      case "auto" -> planar ? NormKernel.PLANES : NormKernel.ONEDNN;
      case "java" -> planar
          ? NormKernel.PLANES
          : layout != null ? NormKernel.LANES : NormKernel.ONEDNN;
      case "lanes" -> layout != null ? NormKernel.LANES : NormKernel.ONEDNN;
      case "onednn" -> NormKernel.ONEDNN;
      default -> throw new IllegalArgumentException(
          "-D" + NATIVE_NORM + "=" + value + ": expected auto, java, lanes or onednn");
    };
  }

  /**
   * Whether a dynamic conv in a native block hands its routing pool to the {@link PlanarNorm}s that
   * write its input ({@link DnnlDynamicConv#poolBy}): they take each plane's mean as they write it
   * and add the pool's gradient as they read it, which saves the conv a read of its input forward
   * and a read and a write of its input gradient backward (in parameternet_300m's profile the pools
   * and the broadcast adds took about 60 and 30 ms a step). {@code -Dpnet.native.routing-pool=norm}
   * (the default) or {@code onednn} (the conv's own matmul and binary add), for A/B runs and tests;
   * read at plan build.
   */
  static boolean normPoolsRouting() {
    return either(NATIVE_ROUTING_POOL, "norm", "norm", "onednn");
  }

  /** The override of {@link #normPoolsRouting}. */
  static final String NATIVE_ROUTING_POOL = "pnet.native.routing-pool";

  /**
   * Whether a ParameterNet bottleneck (dynamic ghost and shortcut convs) may be one native block
   * ({@link DnnlDynamicConv} inside a {@link BottleneckPlan}) rather than the unfused layers: yes
   * unless {@code -Dpnet.native.dynamic=false} (for A/B runs and debugging).
   */
  public static boolean nativeDynamicBlocks() {
    return either(NATIVE_DYNAMIC, "true", "true", "false");
  }

  /** The override of {@link #nativeDynamicBlocks}. */
  public static final String NATIVE_DYNAMIC = "pnet.native.dynamic";

  /**
   * Whether system property {@code key} (default {@code fallback}) is {@code on} rather than {@code
   * off}; any other value is an error naming the property and both values.
   */
  private static boolean either(String key, String fallback, String on, String off) {
    String value = System.getProperty(key, fallback);
    if (value.equals(on)) {
      return true;
    }
    if (value.equals(off)) {
      return false;
    }
    throw new IllegalArgumentException(
        "-D" + key + "=" + value + ": expected " + on + " or " + off);
  }

  /** What a native primitive's work is counted in, for {@link #serialNative}. */
  enum Work {
    /** Memory-bound: reorders, element-wise and binary ops, by elements. */
    ELEMENTS(1 << 18),
    /**
     * oneDNN's batch norms, by elements: their passes meet at barriers, and on the small cell's
     * maps of 262K-786K elements a team of 2 took 1.6-9.5x one thread's time a call ([64, 24, 16,
     * 16]: 2724 against 286 us); at 224 it ran faster from about a million.
     */
    NORM(1 << 20),
    /** 1x1 convs and matmuls, by multiply-adds. */
    MULTIPLY_ADDS(1 << 23),
    /** Depthwise convs, by multiply-adds (output elements x taps). */
    DEPTHWISE(1 << 19);

    /** Below this much work, the primitive runs on the calling thread alone. */
    final long serialBelow;

    Work(long serialBelow) {
      this.serialBelow = serialBelow;
    }
  }

  /**
   * Whether a native block's oneDNN primitive of {@code amount} work runs on the calling thread
   * alone rather than on the OpenMP team ({@link DnnlProgram#build}). Waking the team and meeting
   * at its barriers costs tens of microseconds a region on this 2-core VM, more than small
   * primitives take: on the small cell, with a team of 2, {@code bnorm_jit} on [64, 10, 8, 8] took
   * 737 us a call against 36 alone, a 1x1 conv on [64, 46, 4, 4] 456 against 32, and whole
   * ghostnet_small_64 steps 150-180 ms against 105 with every primitive alone; at 224 a team of 2
   * ran the same kinds 1.5-2x faster on maps of a million elements. The thresholds ({@link Work})
   * come from those per-shape profiles (docs/commands/bench.md, "Small ops alone"). {@code
   * -Dpnet.native.threads=all} runs every primitive on the team (the behaviour before), {@code one}
   * every one alone.
   */
  static boolean serialNative(Work kind, long amount) {
    return switch (threadsSetting()) {
      case "auto" -> amount < kind.serialBelow;
      case "all" -> false;
      default -> true;
    };
  }

  /**
   * Whether a Java kernel's pass over {@code floats} floats ({@link PlaneWork}) runs on the calling
   * thread alone rather than in the fork-join pool too. {@code auto}: below {@link
   * #JAVA_SERIAL_BELOW} floats (1M); a batch-1 inference's 7x7 planes are done in fewer
   * microseconds than the pool takes to wake, and on the small cell's maps (up to 1.5M floats) the
   * activation gradient after oneDNN's norms took 289 us a call on two threads against 116 on one.
   * {@code -Dpnet.native.threads} as for {@link #serialNative}: {@code all} keeps the old threshold
   * of 64K floats, {@code one} runs every pass alone.
   */
  static boolean serialJava(long floats) {
    return switch (threadsSetting()) {
      case "auto" -> floats < JAVA_SERIAL_BELOW;
      case "all" -> floats < 1 << 16;
      default -> true;
    };
  }

  /** {@code -Dpnet.native.threads}, checked: auto (the default), all or one. */
  private static String threadsSetting() {
    String value = System.getProperty(NATIVE_THREADS, "auto");
    if (!value.equals("auto") && !value.equals("all") && !value.equals("one")) {
      throw new IllegalArgumentException(
          "-D" + NATIVE_THREADS + "=" + value + ": expected auto, all or one");
    }
    return value;
  }

  /** See {@link #serialJava}. */
  static final long JAVA_SERIAL_BELOW = 1 << 20;

  /** The override of {@link #serialNative}. */
  static final String NATIVE_THREADS = "pnet.native.threads";

  /** The override of {@link #planNorm}. */
  static final String NATIVE_NORM = "pnet.native.norm";

  /** The override of {@link #javaDepthwiseWeightGradient}. */
  static final String NATIVE_DW_WEIGHT_GRADIENT = "pnet.native.dw-weight-gradient";

  /** The override of {@link #nativeSqueezeExcite}. */
  public static final String NATIVE_SQUEEZE_EXCITE = "pnet.native.squeeze-excite";

  /** See {@link #nativeBlockedLayout}. */
  static final int BLOCKED_FROM_MID = 24;
}
