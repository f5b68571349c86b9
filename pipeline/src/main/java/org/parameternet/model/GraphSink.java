package org.parameternet.model;

/**
 * Receives the network one operation at a time from {@link GhostNetTopology}. Implementations build
 * a DL4J graph or count parameters and MACs; {@code H} is their handle for a node.
 */
public interface GraphSink<H> {
  H input(FeatureShape shape);

  H conv(String name, H input, FeatureShape in, ConvOp op);

  /**
   * RepConv's training form of conv + BN: {@code op.branches()} parallel convs of {@code op}'s
   * shape, each followed by its own batch norm, summed, then the activation. Branch 0's conv and BN
   * are {@code name_conv} and {@code name_bn} as in an unbranched conv + BN, branch i's {@code
   * name_rep<i>_conv} and {@code name_rep<i>_bn}; inference folds them all into one conv + BN.
   */
  H branchedConvBn(String name, H input, FeatureShape in, ConvOp op, Activation activation);

  /**
   * Branch {@code branch}'s {@code part} ({@code conv} or {@code bn}) in {@link #branchedConvBn}.
   */
  static String branchPart(String name, int branch, String part) {
    return branch == 0 ? name + "_" + part : name + "_rep" + branch + "_" + part;
  }

  /**
   * A whole GhostNet bottleneck (static unbranched convs) from {@code in} as one node, or null to
   * have the topology play it op by op (the default). Its node is named {@code name}; its
   * parameters keep the op-by-op names.
   */
  default H wholeBottleneck(String name, H input, FeatureShape in, BottleneckOp op) {
    return null;
  }

  /** Batch norm, then the activation (IDENTITY for none). */
  H batchNorm(String name, H input, FeatureShape shape, Activation activation);

  /** Channel concatenation of two maps of equal spatial size. */
  H concat(String name, H first, H second, FeatureShape out);

  H add(String name, H first, H second, FeatureShape shape);

  /** Global average pool to channels x 1 x 1. */
  H globalAveragePool(String name, H input, FeatureShape in);

  /** features * gate, the gate being channels x 1 x 1 (squeeze-excite). */
  H channelScale(String name, H features, H gate, FeatureShape shape);

  /** Fully connected layer with bias and activation on a pooled (channels x 1 x 1) input. */
  H dense(String name, H input, int in, int out, Activation activation);

  /** Dropout, then the linear classifier with softmax. */
  H classifier(String name, H input, int in, int classes, double dropout);
}
