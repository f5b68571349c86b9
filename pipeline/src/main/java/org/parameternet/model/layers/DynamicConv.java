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
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Dynamic convolution as in the released ParameterNet (CondConv-style): M expert kernels mixed per
 * sample, {@code alpha = sigmoid(Linear(C_in -> M)(avgpool(x)))}, {@code W'(b) = sum_i alpha_i(b)
 * W_i}, then one convolution of each sample with its own fused kernel. NCHW only, no bias, no
 * activation (a BatchNorm always follows it in GhostNet).
 */
public class DynamicConv extends FeedForwardLayer {
  private int kernelSize;
  private int stride = 1;
  private int padding;
  private int groups = 1;
  private int experts;

  /** For JSON deserialisation. */
  public DynamicConv() {}

  private DynamicConv(Builder builder) {
    super(builder);
    this.kernelSize = builder.kernelSize;
    this.stride = builder.stride;
    this.padding = builder.padding;
    this.groups = builder.groups;
    this.experts = builder.experts;
    validate();
  }

  private void validate() {
    String id = "DynamicConv '" + getLayerName() + "': ";
    if (experts < 1) {
      throw new IllegalArgumentException(id + "experts must be >= 1, got " + experts);
    }
    if (kernelSize < 1 || stride < 1 || padding < 0 || groups < 1) {
      throw new IllegalArgumentException(
          id
              + "bad geometry kernel="
              + kernelSize
              + " stride="
              + stride
              + " padding="
              + padding
              + " groups="
              + groups);
    }
    if (activationFn != null && !(activationFn instanceof ActivationIdentity)) {
      // The layer computes the conv only; an activation given here would be silently dropped.
      throw new IllegalArgumentException(
          id + "takes no activation (got " + activationFn + "): a BatchNormActivation follows it");
    }
    if (nIn > 0 && (nIn % groups != 0 || nOut % groups != 0)) {
      throw new IllegalArgumentException(
          id + "channels " + nIn + "->" + nOut + " not divisible by groups " + groups);
    }
  }

  /** How the fused kernel is applied; chosen for speed and memory per conv type. */
  public enum Form {
    /** 1x1, groups 1: per-sample batched matmul, no im2col. */
    POINTWISE,
    /** groups == C_in == C_out: the batch folded into channels of one depthwise conv. */
    DEPTHWISE,
    /** anything else: im2col and a per-sample, per-group batched matmul. */
    GENERAL
  }

  public Form form() {
    if (kernelSize == 1 && groups == 1 && padding == 0) {
      return Form.POINTWISE;
    }
    if (groups > 1 && groups == nIn && groups == nOut) {
      return Form.DEPTHWISE;
    }
    return Form.GENERAL;
  }

  /** Weights in one expert kernel: C_out x C_in/groups x k x k. */
  public long kernelParams() {
    return nOut * (nIn / groups) * kernelSize * kernelSize;
  }

  public int outputSize(long inputSize) {
    return (int) ((inputSize + 2L * padding - kernelSize) / stride + 1);
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
        new DynamicConvLayer(conf, networkDataType),
        conf,
        listeners,
        layerIndex,
        layerParamsView,
        initializeParams,
        initializer());
  }

  @Override
  public ParamInitializer initializer() {
    return DynamicConvParamInitializer.INSTANCE;
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    InputType.InputTypeConvolutional in = requireCnn(inputType);
    return InputType.convolutional(
        outputSize(in.getHeight()), outputSize(in.getWidth()), nOut, in.getFormat());
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    InputType.InputTypeConvolutional in = requireCnn(inputType);
    if (nIn <= 0 || override) {
      nIn = in.getChannels();
    }
    validate();
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
          "DynamicConv '" + getLayerName() + "' needs NCHW convolutional input, got " + inputType);
    }
    return c;
  }

  @Override
  public LayerMemoryReport getMemoryReport(InputType inputType) {
    InputType.InputTypeConvolutional out =
        (InputType.InputTypeConvolutional) getOutputType(-1, inputType);
    long params = initializer().numParams(this);
    long fusedKernelPerExample = kernelParams();
    long im2colPerExample =
        form() == Form.GENERAL
            ? nIn * kernelSize * kernelSize * out.getHeight() * out.getWidth()
            : 0;
    return new LayerMemoryReport.Builder(layerName, DynamicConv.class, inputType, out)
        .standardMemory(params, getIUpdater() == null ? 0 : getIUpdater().stateSize(params))
        .workingMemory(
            0,
            fusedKernelPerExample + im2colPerExample,
            0,
            2 * (fusedKernelPerExample + im2colPerExample))
        .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
        .build();
  }

  @Override
  public DynamicConv clone() {
    return (DynamicConv) super.clone();
  }

  public int getKernelSize() {
    return kernelSize;
  }

  public void setKernelSize(int kernelSize) {
    this.kernelSize = kernelSize;
  }

  public int getStride() {
    return stride;
  }

  public void setStride(int stride) {
    this.stride = stride;
  }

  public int getPadding() {
    return padding;
  }

  public void setPadding(int padding) {
    this.padding = padding;
  }

  public int getGroups() {
    return groups;
  }

  public void setGroups(int groups) {
    this.groups = groups;
  }

  public int getExperts() {
    return experts;
  }

  public void setExperts(int experts) {
    this.experts = experts;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DynamicConv d
        && super.equals(o)
        && kernelSize == d.kernelSize
        && stride == d.stride
        && padding == d.padding
        && groups == d.groups
        && experts == d.experts;
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), kernelSize, stride, padding, groups, experts);
  }

  @Override
  public String toString() {
    return "DynamicConv("
        + nIn
        + "->"
        + nOut
        + ", k="
        + kernelSize
        + ", s="
        + stride
        + ", p="
        + padding
        + ", g="
        + groups
        + ", experts="
        + experts
        + ")";
  }

  /** Builder in DL4J's style. */
  public static class Builder extends FeedForwardLayer.Builder<Builder> {
    private int kernelSize = 1;
    private int stride = 1;
    private int padding;
    private int groups = 1;
    private int experts = 4;

    public Builder() {
      // Without this, DL4J would hand the layer the network's default activation (sigmoid).
      activation(new ActivationIdentity());
    }

    public Builder kernelSize(int k) {
      this.kernelSize = k;
      return this;
    }

    public Builder stride(int s) {
      this.stride = s;
      return this;
    }

    public Builder padding(int p) {
      this.padding = p;
      return this;
    }

    public Builder groups(int g) {
      this.groups = g;
      return this;
    }

    public Builder experts(int m) {
      this.experts = m;
      return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public DynamicConv build() {
      return new DynamicConv(this);
    }
  }
}
