package org.parameternet.model;

/**
 * One convolution as the topology asks for it.
 *
 * @param experts 0 for a static conv, M for a dynamic conv with M expert kernels
 * @param activation applied right after the conv (only SE convs use one; others go through BN)
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
    Activation activation) {

  public ConvOp {
    if (in % groups != 0 || out % groups != 0) {
      throw new IllegalArgumentException(
          "channels " + in + "->" + out + " not divisible by groups " + groups);
    }
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
