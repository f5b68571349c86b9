package org.parameternet.model.layers;

import java.util.Collection;
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
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * A whole plain GhostNet bottleneck as one layer computed by oneDNN ({@link
 * NativeBottleneckLayer}): ghost module 1 (1x1 conv + BN + activation, 3x3 depthwise + BN +
 * activation, concatenated), ghost module 2 (the same without activation), plus the identity
 * shortcut. Stride 1, input width = output width, no squeeze-excite: the commonest kind; the others
 * stay DL4J layers.
 *
 * <p>Its parameters are the unfused layers', in the same flat order and shapes and under the same
 * names but for hyphens ({@link NativeBottleneckParams}): a layer named {@code b3} holds {@code
 * b3_ghost1-primary-conv-W} where the unfused graph has {@code b3_ghost1_primary_conv_W} ({@link
 * #unfusedKey}), so checkpoints, the updater's state and parameter averaging see the same vector.
 * Batch norms follow {@link BatchNormActivation}: eps 1e-5, momentum 0.1, running variance unbiased
 * and stored as a variance.
 */
public class NativeBottleneck extends FeedForwardLayer {
  /** As {@link BatchNormActivation#of}: PyTorch's BatchNorm2d eps and momentum (decay 0.9). */
  static final double EPS = 1e-5;

  static final double DECAY = 0.9;

  private int mid;

  /** For JSON deserialisation. */
  public NativeBottleneck() {}

  /**
   * A bottleneck of {@code channels} in and out, expansion width {@code mid}, ghost module 1 ending
   * in {@code activation} (identity, ReLU or hard-swish, {@link #supports}).
   */
  public static NativeBottleneck of(int channels, int mid, IActivation activation) {
    if (!supports(channels, mid, channels, 1, false, activation)) {
      throw new IllegalArgumentException(
          "no native bottleneck " + channels + "->" + mid + "->" + channels + " " + activation);
    }
    NativeBottleneck layer = new NativeBottleneck();
    layer.setNIn(channels);
    layer.setNOut(channels);
    layer.setMid(mid);
    layer.setActivationFn(activation);
    return layer;
  }

  /** Whether this layer computes that bottleneck; callers fall back to the unfused layers. */
  public static boolean supports(
      int in, int mid, int out, int stride, boolean squeezeExcite, IActivation activation) {
    return stride == 1
        && !squeezeExcite
        && in == out
        && mid % 2 == 0
        && out % 2 == 0
        && FusedBatchNorm.kindOf(activation) >= 0;
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
    return requireCnn(inputType);
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
    return new LayerMemoryReport.Builder(layerName, NativeBottleneck.class, inputType, inputType)
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

  @Override
  public boolean equals(Object o) {
    return o instanceof NativeBottleneck b && super.equals(o) && mid == b.mid;
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), mid);
  }

  @Override
  public String toString() {
    return "NativeBottleneck(" + nIn + "->" + mid + "->" + nOut + ", " + activationFn + ")";
  }
}
