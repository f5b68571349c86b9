package org.parameternet.model.layers;

import org.bytedeco.dnnl.memory;

/**
 * A convolution of a {@link BottleneckPlan}: a static one ({@link DnnlConv}, weights from DL4J's
 * view) or a dynamic one ({@link DnnlDynamicConv}, each sample's kernel mixed from experts).
 */
interface PlanConv {
  /** Appends the conv of {@code in} to the forward pass, into {@code dst} or a new buffer. */
  memory forward(memory in, memory dst);

  /** Appends the parameter gradients and the input gradient (a new buffer, returned). */
  memory backward(memory diffDst);

  /** What the forward pass read (after {@link #forward}). */
  memory source();

  /** Whether its output is already batch-normed and activated (post-ops of an inference conv). */
  default boolean foldsNorm() {
    return false;
  }
}
