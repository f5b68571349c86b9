package org.parameternet.model;

/**
 * Receives the network one operation at a time from {@link GhostNetTopology}. Implementations build
 * a DL4J graph or count parameters and MACs; {@code H} is their handle for a node.
 */
public interface GraphSink<H> {
  H input(FeatureShape shape);

  H conv(String name, H input, FeatureShape in, ConvOp op);

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
