package org.parameternet.model.layers;

import org.bytedeco.dnnl.memory;

/**
 * A step of a {@link BottleneckPlan} whose output a dynamic conv reads and which can do that conv's
 * routing pool as it writes the output ({@link DnnlDynamicConv#poolBy}): {@link PlanarNorm}, and
 * {@link DnnlSqueezeExcite}, whose output's plane means are the gate times its input's.
 */
interface RoutingPoolSource {
  /** The pools this step does, or null when it cannot do any. */
  default RoutingPools routingPools() {
    return null;
  }

  /** Whether this step can take over the routing pool of a dynamic conv reading its output. */
  default boolean pools() {
    return routingPools() != null;
  }

  /**
   * Makes the forward pass also write the mean of each output plane (n, c) into plain [B, row]
   * {@code pooled} at (n, offset + c), which is what a dynamic conv reading the output pools for
   * its routing; and the backward pass add the pool's input gradient, {@code pooledGradient}'s same
   * cell (null in inference), to every value of plane (n, c) of the output gradient it is given,
   * which is what the conv would add to its input gradient. Only where {@link #pools}.
   */
  default void poolInto(memory pooled, memory pooledGradient, int offset, int row) {
    if (!pools()) {
      throw new UnsupportedOperationException(getClass().getSimpleName() + " does not pool");
    }
    routingPools().add(pooled, pooledGradient, offset, row);
  }

  /** The output's layout. */
  memory.desc dstDesc();
}
