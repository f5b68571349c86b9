package org.parameternet.model;

/**
 * One convolution as the topology asks for it.
 *
 * @param experts 0 for a static conv, M for a dynamic conv with M expert kernels
 * @param activation applied right after the conv (only SE convs use one; others go through BN)
 * @param branches 1 for one conv; B for RepConv's training form, B parallel convs of this shape,
 *     each with its own batch norm, summed (folded into one conv + BN for inference)
 */
public record ConvOp(
    ConvRole role,
    int in,
    int out,
    int kernel,
    int stride,
    int padding,
    int groups,
    boolean bias,
    int experts,
    Activation activation,
    int branches) {

  public ConvOp {
    if (in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException(
          "channels " + in + "->" + out + " not divisible by groups " + groups);
    }
    if (branches < 1 || (branches > 1 && experts > 0)) {
      throw new IllegalArgumentException(
          "branches must be >= 1 and a branched conv static, got "
              + branches
              + " branches of "
              + experts
              + " experts");
    }
  }

  /** A static 1x1 convolution, no bias, no activation (a batch norm follows). */
  public static ConvOp pointwise(ConvRole role, int in, int out) {
    return new ConvOp(role, in, out, 1, 1, 0, 1, false, 0, Activation.IDENTITY, 1);
  }

  /**
   * A static dense {@code kernel x kernel} convolution padded by {@code (kernel - 1) / 2}, no bias,
   * no activation.
   */
  public static ConvOp square(ConvRole role, int in, int out, int kernel, int stride) {
    return new ConvOp(
        role, in, out, kernel, stride, (kernel - 1) / 2, 1, false, 0, Activation.IDENTITY, 1);
  }

  /** A static depthwise convolution (one group per channel), padded as {@link #square}. */
  public static ConvOp depthwise(ConvRole role, int channels, int kernel, int stride) {
    return new ConvOp(
        role,
        channels,
        channels,
        kernel,
        stride,
        (kernel - 1) / 2,
        channels,
        false,
        0,
        Activation.IDENTITY,
        1);
  }

  /** This convolution with a bias and {@code activation} applied to its output (the SE convs). */
  public ConvOp withBiasAndActivation(Activation activation) {
    return new ConvOp(
        role, in, out, kernel, stride, padding, groups, true, experts, activation, branches);
  }

  /** This convolution as a dynamic one of {@code experts} kernels (0: static). */
  public ConvOp withExperts(int experts) {
    return new ConvOp(
        role, in, out, kernel, stride, padding, groups, bias, experts, activation, branches);
  }

  /** This convolution as {@code branches} parallel conv + BN branches (1: one conv). */
  public ConvOp withBranches(int branches) {
    return new ConvOp(
        role, in, out, kernel, stride, padding, groups, bias, experts, activation, branches);
  }

  public boolean isBranched() {
    return branches > 1;
  }

  public boolean isDynamic() {
    return experts > 0;
  }

  public boolean isDepthwise() {
    return groups == in && groups == out && groups > 1;
  }

  /** Weights of one kernel: out x in/groups x k x k. */
  public long kernelParams() {
    return (long) out * (in / groups) * kernel * kernel;
  }

  public FeatureShape outputShape(FeatureShape input) {
    return new FeatureShape(
        out,
        outputSize(input.height(), kernel, stride, padding),
        outputSize(input.width(), kernel, stride, padding));
  }

  static int outputSize(int size, int kernel, int stride, int padding) {
    int out = (size + 2 * padding - kernel) / stride + 1;
    if (out < 1) {
      throw new IllegalArgumentException(
          "input size " + size + " too small for kernel " + kernel + " stride " + stride);
    }
    return out;
  }
}
