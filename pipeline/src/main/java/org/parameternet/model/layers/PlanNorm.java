package org.parameternet.model.layers;

import org.bytedeco.dnnl.memory;

/**
 * A batch norm and its activation inside a {@link BottleneckPlan}: on oneDNN's primitive ({@link
 * DnnlNorm}) or as Java steps ({@link LaneNorm}, {@link PlanarNorm}), as {@link
 * KernelPolicy#planNorm} decides. {@link PlanarNorm} can do a dynamic conv's routing pool ({@link
 * RoutingPoolSource}).
 */
interface PlanNorm extends RoutingPoolSource {
  /** Appends the norm and activation of {@code in}; returns the activated output. */
  memory forward(memory in);

  /**
   * Appends the backward pass from the output gradient {@code diffAct} (which it may overwrite):
   * gamma's and beta's gradients go to the caller's {@code gradientKey} (gamma's, with beta's after
   * it); returns the input gradient.
   */
  memory backward(memory diffAct, String gradientKey);

  /** The output's layout (the input's). */
  @Override
  memory.desc dstDesc();

  /** The last training pass's batch mean (after {@link DnnlProgram#run}). */
  float[] batchMean();

  /** The last training pass's biased batch variance. */
  float[] batchVariance();
}
