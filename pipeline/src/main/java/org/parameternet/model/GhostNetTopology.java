package org.parameternet.model;

/**
 * The GhostNet / ParameterNet network, described once and played into a {@link GraphSink}
 * (docs/architecture.md, "The models"). Node names are stable: they name DL4J vertices and
 * checkpoints.
 */
public final class GhostNetTopology<H> {
  private final ModelSpec spec;
  private final GraphSink<H> sink;

  private record Node<H>(H handle, FeatureShape shape) {}

  private GhostNetTopology(ModelSpec spec, GraphSink<H> sink) {
    this.spec = spec;
    this.sink = sink;
  }

  /** Plays the whole network into the sink and returns the classifier's handle. */
  public static <H> H walk(ModelSpec spec, GraphSink<H> sink) {
    return new GhostNetTopology<>(spec, sink).build();
  }

  private H build() {
    FeatureShape image = new FeatureShape(3, spec.resolution(), spec.resolution());
    Node<H> x = new Node<>(sink.input(image), image);
    int stem = Channels.round4(spec.stemWidth() * spec.width());
    x = convBn("stem", x, bySpec(ConvOp.square(ConvRole.STEM, 3, stem, 3, 2)), spec.activation());
    for (int i = 0; i < spec.blocks().size(); i++) {
      x = bottleneck("b" + i, x, spec.blocks().get(i));
    }
    int features = Channels.round4(spec.featureWidth() * spec.width());
    x =
        convBn(
            "final",
            x,
            bySpec(ConvOp.pointwise(ConvRole.FINAL, x.shape().channels(), features)),
            spec.activation());
    H pooled = sink.globalAveragePool("head_pool", x.handle(), x.shape());
    H head = sink.dense("head_conv", pooled, features, spec.headWidth(), spec.activation());
    return sink.classifier("classifier", head, spec.headWidth(), spec.numClasses(), spec.dropout());
  }

  private Node<H> bottleneck(String name, Node<H> x, BlockRow row) {
    int mid = Channels.round4(row.expansion() * spec.width());
    int out = Channels.round4(row.out() * spec.width());
    int in = x.shape().channels();
    int experts = wholeBlockExperts();
    if (experts >= 0) {
      int seReduced = row.hasSqueezeExcite() ? Channels.round4(mid * row.seRatio()) : 0;
      BottleneckOp op =
          new BottleneckOp(
              in, mid, out, row.kernel(), row.stride(), seReduced, spec.activation(), experts);
      H block = sink.wholeBottleneck(name, x.handle(), x.shape(), op);
      if (block != null) {
        return new Node<>(block, blockOutput(x.shape(), row, out));
      }
    }

    Node<H> y = ghost(name + "_ghost1", x, mid, spec.activation());
    if (row.stride() > 1) {
      y =
          convBn(
              name + "_dw",
              y,
              bySpec(
                  ConvOp.depthwise(ConvRole.BOTTLENECK_DEPTHWISE, mid, row.kernel(), row.stride())),
              Activation.IDENTITY);
    }
    if (row.hasSqueezeExcite()) {
      y = squeezeExcite(name + "_se", y, row.seRatio());
    }
    y = ghost(name + "_ghost2", y, out, Activation.IDENTITY);

    Node<H> shortcut = x;
    if (in != out || row.stride() > 1) {
      shortcut =
          convBn(
              name + "_sc_dw",
              x,
              bySpec(ConvOp.depthwise(ConvRole.SHORTCUT_DEPTHWISE, in, row.kernel(), row.stride())),
              Activation.IDENTITY);
      shortcut =
          convBn(
              name + "_sc_pw",
              shortcut,
              bySpec(ConvOp.pointwise(ConvRole.SHORTCUT_POINTWISE, in, out)),
              Activation.IDENTITY);
    }
    return new Node<>(sink.add(name + "_add", y.handle(), shortcut.handle(), y.shape()), y.shape());
  }

  /** The bottleneck convs ParameterNet makes dynamic; the strided reduction and SE stay static. */
  private static final ConvRole[] DYNAMIC_IN_BLOCK = {
    ConvRole.GHOST_PRIMARY,
    ConvRole.GHOST_CHEAP,
    ConvRole.SHORTCUT_DEPTHWISE,
    ConvRole.SHORTCUT_POINTWISE
  };

  private static final ConvRole[] STATIC_IN_BLOCK = {
    ConvRole.BOTTLENECK_DEPTHWISE, ConvRole.SQUEEZE_EXCITE
  };

  /**
   * The experts of a bottleneck {@link GraphSink#wholeBottleneck} may stand for (the sink decides
   * which blocks it plays): 0 when every conv is static, M when the ghost and shortcut convs are
   * dynamic as ParameterNet's; -1 for anything else (branched convs, other dynamic positions).
   */
  private int wholeBlockExperts() {
    boolean allDynamic = true;
    boolean anyDynamic = false;
    for (ConvRole role : DYNAMIC_IN_BLOCK) {
      allDynamic &= spec.isDynamic(role);
      anyDynamic |= spec.isDynamic(role);
    }
    for (ConvRole role : STATIC_IN_BLOCK) {
      if (spec.isDynamic(role) || spec.isBranched(role)) {
        return -1;
      }
    }
    for (ConvRole role : DYNAMIC_IN_BLOCK) {
      if (spec.isBranched(role)) {
        return -1;
      }
    }
    if (!anyDynamic) {
      return 0;
    }
    return allDynamic ? spec.experts() : -1;
  }

  /** A bottleneck's output shape: reduced by its stride, {@code out} channels. */
  private static FeatureShape blockOutput(FeatureShape in, BlockRow row, int out) {
    ConvOp reduce =
        ConvOp.depthwise(ConvRole.BOTTLENECK_DEPTHWISE, in.channels(), row.kernel(), row.stride());
    return reduce.outputShape(in).withChannels(out);
  }

  /**
   * Plays bottleneck {@code index} of {@code spec} alone into {@code sink} from {@code input} of
   * the shape the whole network gives it ({@link #blockInput}); returns the block's output. For
   * tests and benchmarks of one block.
   */
  public static <H> H bottleneck(ModelSpec spec, int index, GraphSink<H> sink, H input) {
    GhostNetTopology<H> topology = new GhostNetTopology<>(spec, sink);
    Node<H> x = new Node<>(input, blockInput(spec, index));
    return topology.bottleneck("b" + index, x, spec.blocks().get(index)).handle();
  }

  /** The input shape of bottleneck {@code index} in the whole network. */
  public static FeatureShape blockInput(ModelSpec spec, int index) {
    FeatureShape image = new FeatureShape(3, spec.resolution(), spec.resolution());
    int stem = Channels.round4(spec.stemWidth() * spec.width());
    FeatureShape x = ConvOp.square(ConvRole.STEM, 3, stem, 3, 2).outputShape(image);
    for (int i = 0; i < index; i++) {
      BlockRow row = spec.blocks().get(i);
      x = blockOutput(x, row, Channels.round4(row.out() * spec.width()));
    }
    return x;
  }

  /** Ghost module, ratio 2: a 1x1 primary conv and a 3x3 depthwise cheap op, concatenated. */
  private Node<H> ghost(String name, Node<H> x, int out, Activation activation) {
    if (out % 2 != 0) {
      throw new IllegalArgumentException(name + ": ghost module width must be even, got " + out);
    }
    int half = out / 2;
    Node<H> primary =
        convBn(
            name + "_primary",
            x,
            bySpec(ConvOp.pointwise(ConvRole.GHOST_PRIMARY, x.shape().channels(), half)),
            activation);
    Node<H> cheap =
        convBn(
            name + "_cheap",
            primary,
            bySpec(ConvOp.depthwise(ConvRole.GHOST_CHEAP, half, 3, 1)),
            activation);
    FeatureShape shape = primary.shape().withChannels(out);
    return new Node<>(
        sink.concat(name + "_concat", primary.handle(), cheap.handle(), shape), shape);
  }

  private Node<H> squeezeExcite(String name, Node<H> x, double ratio) {
    int channels = x.shape().channels();
    int reduced = Channels.round4(channels * ratio);
    FeatureShape pooledShape = new FeatureShape(channels, 1, 1);
    H pooled = sink.globalAveragePool(name + "_pool", x.handle(), x.shape());
    H reduce =
        sink.conv(
            name + "_reduce",
            pooled,
            pooledShape,
            ConvOp.pointwise(ConvRole.SQUEEZE_EXCITE, channels, reduced)
                .withBiasAndActivation(spec.activation()));
    H gate =
        sink.conv(
            name + "_expand",
            reduce,
            new FeatureShape(reduced, 1, 1),
            ConvOp.pointwise(ConvRole.SQUEEZE_EXCITE, reduced, channels)
                .withBiasAndActivation(Activation.HARD_SIGMOID));
    return new Node<>(sink.channelScale(name + "_scale", x.handle(), gate, x.shape()), x.shape());
  }

  /** {@code op} as the spec has it: dynamic or branched when the spec expands its role. */
  private ConvOp bySpec(ConvOp op) {
    return op.withExperts(spec.isDynamic(op.role()) ? spec.experts() : 0)
        .withBranches(spec.isBranched(op.role()) ? spec.branches() : 1);
  }

  private Node<H> convBn(String name, Node<H> x, ConvOp op, Activation activation) {
    FeatureShape shape = op.outputShape(x.shape());
    if (op.isBranched()) {
      return new Node<>(sink.branchedConvBn(name, x.handle(), x.shape(), op, activation), shape);
    }
    H conv = sink.conv(name + "_conv", x.handle(), x.shape(), op);
    return new Node<>(sink.batchNorm(name + "_bn", conv, shape, activation), shape);
  }
}
