package org.parameternet.model.layers;

import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * A whole GhostNet bottleneck as one layer computed by oneDNN ({@link NativeBottleneckLayer}):
 * ghost module 1 (1x1 conv + BN + activation, 3x3 depthwise + BN + activation, concatenated), for
 * stride 2 a kxk depthwise conv + BN, ghost module 2 (as module 1 without activation), plus the
 * shortcut: the identity, or where the width or the plane changes a kxk depthwise conv + BN and a
 * 1x1 conv + BN. A squeeze-excite (pool, 1x1 conv + bias + activation, 1x1 conv + bias +
 * relu6(x+3)/6, channel scale) sits before ghost module 2 where the block has one. With {@code
 * experts} > 0 it is a ParameterNet bottleneck: the ghost and shortcut convs are dynamic, each with
 * the unfused {@link DynamicConv}'s experts, routing weight and bias.
 *
 * <p>Its parameters are the unfused layers', in the same flat order and shapes and under the same
 * names but for hyphens ({@link NativeBottleneckParams}): a layer named {@code b3} holds {@code
 * b3_ghost1-primary-conv-W} where the unfused graph has {@code b3_ghost1_primary_conv_W} ({@link
 * #unfusedKey}), so checkpoints, the updater's state and parameter averaging see the same vector.
 * The unfused layers' order inside the block depends on the whole graph (DL4J's topological sort
 * interleaves the shortcut with the main path), so the builder stores it here ({@link
 * #setLayerOrder}). Batch norms follow {@link BatchNormActivation}: eps 1e-5, momentum 0.1, running
 * variance unbiased and stored as a variance.
 */
public class NativeBottleneck extends FeedForwardLayer {
  /** As {@link BatchNormActivation#of}: PyTorch's BatchNorm2d eps and momentum (decay 0.9). */
  static final double EPS = 1e-5;

  static final double DECAY = 0.9;

  private int mid;
  private int kernel = 3;
  private int stride = 1;
  private int seReduced;

  /** Experts of the ghost and shortcut convs, which are dynamic (ParameterNet's); 0: static. */
  private int experts;

  /** The unfused layers' names without the block's prefix, in their flat order; null: default. */
  private List<String> layerOrder;

  /** For JSON deserialisation and the builder's setters. */
  public NativeBottleneck() {}

  /**
   * Whether this layer computes the bottleneck its widths, kernel, stride, squeeze-excite and
   * activation describe; the builder falls back to the unfused layers where it does not. Ghost
   * module widths must be even, and ghost module 1's activation (the SE's reduce has the same) one
   * {@link FusedBatchNorm} knows.
   */
  public boolean supports() {
    return seReduced >= 0
        && experts >= 0
        && (stride == 1 || stride == 2)
        && kernel % 2 == 1
        && mid % 2 == 0
        && nOut % 2 == 0
        && nIn > 0
        && FusedBatchNorm.kindOf(activationFn) >= 0;
  }

  /** Whether the shortcut is convolutional (the width or the plane changes). */
  public boolean hasShortcutConv() {
    return nIn != nOut || stride > 1;
  }

  /** The output's extent along a spatial axis of {@code extent}: padding k/2, truncating. */
  public long outputExtent(long extent) {
    int pad = kernel / 2;
    return (extent + 2 * pad - kernel) / stride + 1;
  }

  /** Whether parameter {@code key} is a BN running statistic (not trained, not counted). */
  public static boolean isRunningStatistic(String key) {
    return NativeBottleneckParams.isRunningStatistic(key);
  }

  /** The unfused graph's name of graph parameter {@code key} ({@code b3_ghost1-primary-conv-W}). */
  public static String unfusedKey(String key) {
    return key.replace('-', '_');
  }

  /** {@link FusedBatchNorm}'s code for ghost module 1's activation. */
  int activationKind() {
    return FusedBatchNorm.kindOf(activationFn);
  }

  @Override
  public Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    return LayerWiring.wire(
        new NativeBottleneckLayer(conf, networkDataType),
        conf,
        listeners,
        layerIndex,
        layerParamsView,
        initializeParams,
        initializer());
  }

  @Override
  public ParamInitializer initializer() {
    return NativeBottleneckParams.INSTANCE;
  }

  /** The running statistics are moved by their "gradient" directly, as in DL4J's batch norm. */
  @Override
  public IUpdater getUpdaterByParam(String paramName) {
    return NativeBottleneckParams.isRunningStatistic(paramName)
        ? new NoOp()
        : super.getUpdaterByParam(paramName);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    InputType.InputTypeConvolutional in = requireCnn(inputType);
    return InputType.convolutional(
        outputExtent(in.getHeight()), outputExtent(in.getWidth()), nOut, CNN2DFormat.NCHW);
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    InputType.InputTypeConvolutional in = requireCnn(inputType);
    if (nIn <= 0 || override) {
      nIn = in.getChannels();
    }
  }

  @Override
  public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
    requireCnn(inputType);
    return null;
  }

  private InputType.InputTypeConvolutional requireCnn(InputType inputType) {
    if (!(inputType instanceof InputType.InputTypeConvolutional c)
        || c.getFormat() != CNN2DFormat.NCHW) {
      throw new IllegalStateException(
          "NativeBottleneck '" + getLayerName() + "' needs NCHW input, got " + inputType);
    }
    return c;
  }

  @Override
  public LayerMemoryReport getMemoryReport(InputType inputType) {
    InputType.InputTypeConvolutional in = requireCnn(inputType);
    long params = initializer().numParams(this);
    // oneDNN's intermediates live outside DL4J's workspaces: about 12 maps of mid/2 channels
    long plane = in.getHeight() * in.getWidth();
    InputType output = getOutputType(-1, inputType);
    return new LayerMemoryReport.Builder(layerName, NativeBottleneck.class, inputType, output)
        .standardMemory(params, getIUpdater() == null ? 0 : getIUpdater().stateSize(params))
        .workingMemory(0, 0, 0, 6 * mid * plane)
        .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
        .build();
  }

  @Override
  public NativeBottleneck clone() {
    return (NativeBottleneck) super.clone();
  }

  public int getMid() {
    return mid;
  }

  public void setMid(int mid) {
    this.mid = mid;
  }

  public int getKernel() {
    return kernel;
  }

  public void setKernel(int kernel) {
    this.kernel = kernel;
  }

  public int getStride() {
    return stride;
  }

  public void setStride(int stride) {
    this.stride = stride;
  }

  public int getSeReduced() {
    return seReduced;
  }

  public void setSeReduced(int seReduced) {
    this.seReduced = seReduced;
  }

  public int getExperts() {
    return experts;
  }

  public void setExperts(int experts) {
    this.experts = experts;
  }

  public List<String> getLayerOrder() {
    return layerOrder;
  }

  public void setLayerOrder(List<String> layerOrder) {
    this.layerOrder = layerOrder == null ? null : List.copyOf(layerOrder);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NativeBottleneck b
        && super.equals(o)
        && mid == b.mid
        && kernel == b.kernel
        && stride == b.stride
        && seReduced == b.seReduced
        && experts == b.experts
        && Objects.equals(layerOrder, b.layerOrder);
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), mid, kernel, stride, seReduced, experts, layerOrder);
  }

  @Override
  public String toString() {
    return "NativeBottleneck("
        + nIn
        + "->"
        + mid
        + "->"
        + nOut
        + ", k"
        + kernel
        + " s"
        + stride
        + (seReduced > 0 ? " se" + seReduced : "")
        + (experts > 0 ? " experts" + experts : "")
        + ", "
        + activationFn
        + ")";
  }
}
