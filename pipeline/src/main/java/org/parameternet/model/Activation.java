package org.parameternet.model;

/** The activations the GhostNet family uses. */
public enum Activation {
  IDENTITY,
  RELU,
  /** x * relu6(x + 3) / 6, the released ParameterNet's activation. */
  HARD_SWISH,
  /** relu6(x + 3) / 6, the squeeze-excite gate (not DL4J's 0.2x + 0.5 hard sigmoid). */
  HARD_SIGMOID
}
