package org.parameternet.train;

import org.parameternet.model.BlockRow;
import org.parameternet.model.ModelSpec;

/**
 * Coarse layer groups for layer-wise learning-rate decay, as timm's GhostNet {@code
 * group_matcher(coarse=True)}: the stem is group 0, each stage of the block table one group, the
 * final 1x1 conv the next, and the head (pooling, head conv, classifier) the last. With the v1
 * table that is 12 groups, so decay 0.5 scales the stem by 0.5^11 (about 5e-4); a per-block
 * grouping would give 0.5^18 and freeze the stem in effect, which is why the coarse one is used.
 */
public final class LayerGroups {
  private final ModelSpec spec;
  private final int stages;

  public LayerGroups(ModelSpec spec) {
    this.spec = spec;
    this.stages = spec.blocks().stream().mapToInt(BlockRow::group).max().orElse(0);
  }

  public int count() {
    return stages + 3;
  }

  /** The group of a graph vertex, by the topology's naming scheme. */
  public int of(String vertex) {
    if (vertex.startsWith("stem")) {
      return 0;
    }
    if (vertex.startsWith("final")) {
      return stages + 1;
    }
    if (vertex.startsWith("head") || vertex.equals("classifier")) {
      return stages + 2;
    }
    if (vertex.startsWith("b")) {
      int end = vertex.indexOf('_');
      int block = Integer.parseInt(vertex.substring(1, end < 0 ? vertex.length() : end));
      return spec.blocks().get(block).group();
    }
    throw new IllegalArgumentException("vertex " + vertex + " has no layer group");
  }

  /** Learning-rate factor of a vertex: {@code decay^(last group - group)}. */
  public double scale(String vertex, double decay) {
    return Math.pow(decay, count() - 1 - of(vertex));
  }
}
