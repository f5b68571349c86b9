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
    return toBuilder().numClasses(classes).build();
  }

  public ModelSpec withResolution(int size) {
    return toBuilder().resolution(size).build();
  }

  public ModelSpec withDropout(double p) {
    return toBuilder().dropout(p).build();
  }

  /**
   * A spec by name: a block table and its name, then what differs from a paper model (width 1,
   * static, hard-swish, 1000 classes at 224, dropout 0.2, a 16-channel stem, 960 features, a
   * 1280-wide head).
   */
  public static Builder builder(String name, List<BlockRow> blocks) {
    return new Builder(name, blocks);
  }

  /** This spec as a builder, to change some of its fields. */
  public Builder toBuilder() {
    return builder(name, blocks)
        .width(width)
        .dynamic(experts, dynamicRoles)
        .activation(activation)
        .numClasses(numClasses)
        .resolution(resolution)
        .dropout(dropout)
        .widths(stemWidth, featureWidth, headWidth);
  }

  /** Names each field of the spec. */
  public static final class Builder {
    private final String name;
    private final List<BlockRow> blocks;
    private double width = 1;
    private int experts;
    private Set<ConvRole> dynamicRoles = Set.of();
    private Activation activation = Activation.HARD_SWISH;
    private int numClasses = 1000;
    private int resolution = 224;
    private double dropout = 0.2;
    private int stemWidth = 16;
    private int featureWidth = 960;
    private int headWidth = 1280;

    private Builder(String name, List<BlockRow> blocks) {
      this.name = name;
      this.blocks = blocks;
    }

    public Builder width(double v) {
      width = v;
      return this;
    }

    /** Convolutions of {@code roles} as dynamic ones of {@code experts} kernels (0: static). */
    public Builder dynamic(int experts, Set<ConvRole> roles) {
      this.experts = experts;
      this.dynamicRoles = roles;
      return this;
    }

    public Builder activation(Activation v) {
      activation = v;
      return this;
    }

    public Builder numClasses(int v) {
      numClasses = v;
      return this;
    }

    public Builder resolution(int v) {
      resolution = v;
      return this;
    }

    public Builder dropout(double v) {
      dropout = v;
      return this;
    }

    /** Channels of the stem, of the final features (before pooling) and of the head. */
    public Builder widths(int stem, int features, int head) {
      stemWidth = stem;
      featureWidth = features;
      headWidth = head;
      return this;
    }

    public ModelSpec build() {
      return new ModelSpec(
          name,
          blocks,
          width,
          experts,
          dynamicRoles,
          activation,
          numClasses,
          resolution,
          dropout,
          stemWidth,
          featureWidth,
          headWidth);
    }
  }
}
