package org.parameternet.model;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/** Where a convolution sits in the network; the spec chooses which roles are dynamic. */
public enum ConvRole {
  STEM,
  GHOST_PRIMARY,
  GHOST_CHEAP,
  /** The stride-2 depthwise conv inside a bottleneck's main branch: static in ParameterNet. */
  BOTTLENECK_DEPTHWISE,
  SQUEEZE_EXCITE,
  SHORTCUT_DEPTHWISE,
  SHORTCUT_POINTWISE,
  FINAL;

  /** The released ParameterNet's dynamic positions (docs/architecture.md, "Dynamic positions"). */
  public static final Set<ConvRole> PARAMETERNET_DYNAMIC =
      Collections.unmodifiableSet(
          EnumSet.of(
              STEM, GHOST_PRIMARY, GHOST_CHEAP, SHORTCUT_DEPTHWISE, SHORTCUT_POINTWISE, FINAL));
}
