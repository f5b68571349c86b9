package org.parameternet.model;

/**
 * One GhostNet bottleneck as a whole, for a {@link GraphSink} that plays it as one node: input,
 * expansion and output widths, the depthwise kernel and stride (of the strided reduction and of the
 * conv shortcut), the squeeze-excite's reduced width (0 for none) and ghost module 1's activation.
 */
public record BottleneckOp(
    int in,
    int mid,
    int out,
    int kernel,
    int stride,
    int seReduced,
    Activation activation,
    int experts) {
  /** Whether the shortcut is depthwise conv + BN, 1x1 conv + BN rather than the identity. */
  public boolean hasShortcutConv() {
    return in != out || stride > 1;
  }

  /** Whether the ghost and shortcut convs are dynamic, {@code experts} experts each. */
  public boolean isDynamic() {
    return experts > 0;
  }

  public boolean hasSqueezeExcite() {
    return seReduced > 0;
  }
}
