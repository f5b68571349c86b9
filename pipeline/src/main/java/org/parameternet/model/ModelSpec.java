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
 * @param branches parallel conv + BN branches per re-parameterised conv (RepConv's training form,
 *     folded into one conv + BN for inference); 1 means no re-parameterisation
 * @param expandedRoles the convs that carry the added parameters: dynamic when {@code experts > 0},
 *     re-parameterised when {@code branches > 1}
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
    int branches,
    Set<ConvRole> expandedRoles,
    Activation activation,
    int numClasses,
    int resolution,
    double dropout,
    int stemWidth,
    int featureWidth,
    int headWidth) {

  public ModelSpec {
    blocks = List.copyOf(blocks);
    expandedRoles = expandedRoles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(expandedRoles));
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException(name + ": block table is empty");
    }
    if (width <= 0) {
      throw new IllegalArgumentException(name + ": width must be > 0, got " + width);
    }
    if (experts < 0) {
      throw new IllegalArgumentException(name + ": experts must be >= 0, got " + experts);
    }
    if (branches < 1 || (branches > 1 && experts > 0)) {
      throw new IllegalArgumentException(
          name
              + ": branches must be >= 1 and cannot be combined with experts, got "
              + branches
              + " branches and "
              + experts
              + " experts");
    }
    if (expandedRoles.contains(ConvRole.SQUEEZE_EXCITE)) {
      throw new IllegalArgumentException(
          name + ": squeeze-excite convs cannot be dynamic or re-parameterised");
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
    return experts > 0 && expandedRoles.contains(role);
  }

  /** Whether the conv at {@code role} trains as parallel branches folded for inference. */
  public boolean isBranched(ConvRole role) {
    return branches > 1 && expandedRoles.contains(role);
  }

  /** Whether training and inference networks differ (RepConv): inference folds the branches. */
  public boolean isReparameterised() {
    return branches > 1 && !expandedRoles.isEmpty();
  }

  /**
   * The network as deployed: a re-parameterised spec with every branch group folded into one conv +
   * BN (GhostNet's shape, same name); any other spec is returned as it is.
   */
  public ModelSpec inferenceForm() {
    return isReparameterised() ? toBuilder().reparameterised(1, Set.of()).build() : this;
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
        .dynamic(experts, expandedRoles)
        .reparameterised(branches, expandedRoles)
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
    private int branches = 1;
    private Set<ConvRole> expandedRoles = Set.of();
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
      this.expandedRoles = roles;
      return this;
    }

    /**
     * Convolutions of {@code roles} as {@code branches} parallel conv + BN branches, summed
     * (RepConv; 1: none).
     */
    public Builder reparameterised(int branches, Set<ConvRole> roles) {
      this.branches = branches;
      this.expandedRoles = roles;
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
          branches,
          expandedRoles,
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
