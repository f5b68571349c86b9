package org.parameternet.model.layers;

import org.bytedeco.dnnl.memory;

/**
 * A batch norm and its activation inside a {@link BottleneckPlan}: on oneDNN's primitive ({@link
 * DnnlNorm}) or as Java steps ({@link LaneNorm}, {@link PlanarNorm}), as {@link
 * KernelPolicy#planNorm} decides.
 */
interface PlanNorm {
  /** Appends the norm and activation of {@code in}; returns the activated output. */
  memory forward(memory in);

  /**
   * Appends the backward pass from the output gradient {@code diffAct} (which it may overwrite):
   * gamma's and beta's gradients go to the caller's {@code gradientKey} (gamma's, with beta's after
   * it); returns the input gradient.
   */
  memory backward(memory diffAct, String gradientKey);

  /**
   * Whether this norm can take over the routing pool of a dynamic conv that reads its output
   * ({@link #poolInto}): {@link PlanarNorm} can, since it holds each plane as it writes it.
   */
  default boolean pools() {
    return false;
  }

  /**
   * Makes the forward pass also write the mean of each output plane (n, c) into plain [B, row]
   * {@code pooled} at (n, offset + c), which is what a dynamic conv reading the output pools for
   * its routing; and the backward pass add the pool's input gradient, {@code pooledGradient}'s same
   * cell (null in inference), to every value of plane (n, c) of the output gradient it is given,
   * which is what the conv would add to its input gradient. Only where {@link #pools}.
   */
  default void poolInto(memory pooled, memory pooledGradient, int offset, int row) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " does not pool");
  }

  /** The output's layout (the input's). */
  memory.desc dstDesc();

  /** The last training pass's batch mean (after {@link DnnlProgram#run}). */
  float[] batchMean();

  /** The last training pass's biased batch variance. */
  float[] batchVariance();
}
