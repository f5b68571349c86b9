package org.parameternet.model;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Everything that defines a GhostNet-family network. The DL4J builder and the params/FLOPs counter
 * both walk {@link GhostNetTopology} over this spec, so they cannot disagree.
 *
 * @param name registry name, the one handle used in configs, checkpoints and reports
 * @param blocks block table before width scaling
 * @param width width multiplier applied to stem, block and final widths (not to the head)
 * @param experts experts per dynamic conv; 0 means every conv is static (GhostNet)
 * @param dynamicRoles which convs become dynamic when {@code experts > 0}
 * @param activation activation used everywhere the skeleton has one, SE included
 * @param numClasses classifier outputs
 * @param resolution square input size
 * @param dropout dropout probability before the classifier
 * @param stemWidth stem width before scaling (16 in GhostNet)
 * @param featureWidth final 1x1 conv width before scaling (960 in GhostNet)
 * @param headWidth width of the 1x1 head conv after pooling (1280, never scaled)
 */
public record ModelSpec(
    String name,
    List<BlockRow> blocks,
    double width,
    int experts,
    Set<ConvRole> dynamicRoles,
    Activation activation,
    int numClasses,
    int resolution,
    double dropout,
    int stemWidth,
    int featureWidth,
    int headWidth) {

  public ModelSpec {
    blocks = List.copyOf(blocks);
    dynamicRoles = dynamicRoles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(dynamicRoles));
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException(name + ": block table is empty");
    }
    if (width <= 0) {
      throw new IllegalArgumentException(name + ": width must be > 0, got " + width);
    }
    if (experts < 0) {
      throw new IllegalArgumentException(name + ": experts must be >= 0, got " + experts);
    }
    if (dynamicRoles.contains(ConvRole.SQUEEZE_EXCITE)) {
      throw new IllegalArgumentException(name + ": squeeze-excite convs cannot be dynamic");
    }
    if (numClasses < 1) {
      throw new IllegalArgumentException(name + ": classes must be >= 1, got " + numClasses);
    }
    if (resolution < 8) {
      throw new IllegalArgumentException(name + ": resolution must be >= 8, got " + resolution);
    }
    if (dropout < 0 || dropout >= 1) {
      throw new IllegalArgumentException(name + ": dropout must be in [0, 1), got " + dropout);
    }
  }

  public boolean isDynamic(ConvRole role) {
    return experts > 0 && dynamicRoles.contains(role);
  }

  public ModelSpec withClasses(int classes) {
    return new ModelSpec(
        name,
        blocks,
        width,
        experts,
        dynamicRoles,
        activation,
        classes,
        resolution,
        dropout,
        stemWidth,
        featureWidth,
        headWidth);
  }

  public ModelSpec withResolution(int size) {
    return new ModelSpec(
        name,
        blocks,
        width,
        experts,
        dynamicRoles,
        activation,
        numClasses,
        size,
        dropout,
        stemWidth,
        featureWidth,
        headWidth);
  }

  public ModelSpec withDropout(double p) {
    return new ModelSpec(
        name,
        blocks,
        width,
        experts,
        dynamicRoles,
        activation,
        numClasses,
        resolution,
        p,
        stemWidth,
        featureWidth,
        headWidth);
  }
}
