package org.parameternet.model.layers;

import static org.parameternet.model.layers.NativeBottleneckParams.norm;
import static org.parameternet.model.layers.NativeBottleneckParams.weight;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.Pointer;
import org.parameternet.model.layers.DnnlConv.Geometry;

/**
 * A GhostNet bottleneck as oneDNN primitives for one input shape, in training (forward + backward)
 * or inference form: what {@link NativeBottleneckLayer} caches per batch size. The block's input,
 * output and their gradients are DL4J's NCHW arrays; inside, activations are blocked or NHWC
 * ({@link DnnlProgram#blocked}). Conv + BN units are named as in {@link
 * NativeBottleneckParams#units}.
 *
 * <p>Ghost module 1's concat is materialised only where a strided depthwise conv or the
 * squeeze-excite must read across it (in NHWC, whose channel ranges any layout can be copied into).
 * Ghost module 2's primary conv over concat(a, b) otherwise runs as a conv over a plus a conv over
 * b adding to it (a sum post-op), each with its half of the weights. The output, shortcut +
 * concat(p, c), is a copy of the shortcut and two adding reorders into its channel halves; the
 * backward pass splits the output gradient the same way and adds the branch's input gradient to the
 * shortcut's.
 *
 * <p>In a ParameterNet block ({@link Shape#experts} > 0) the ghost and shortcut convs are dynamic
 * ({@link DnnlDynamicConv}, NCHW in and out, their norms after them on NCHW); the strided reduction
 * and the squeeze-excite stay static. Ghost module 1's concat is then always materialised, since
 * ghost module 2's primary conv routes on its whole input, and NCHW unless a strided conv reads it,
 * with the squeeze-excite on NCHW too ({@link Shape#planarConcat}).
 */
final class BottleneckPlan implements AutoCloseable {
  static final String X = "x";
  static final String OUT = "out";
  static final String D_OUT = "dOut";
  static final String DX = "dx";

  /** The binding key of the gradient view of parameter {@code key}. */
  static String gradient(String key) {
    return "d:" + key;
  }

  /**
   * The block: batch, widths in, expansion and out, the input plane, depthwise kernel, stride, and
   * the squeeze-excite's reduced width (0: none).
   */
  record Shape(
      int batch,
      int in,
      int mid,
      int out,
      int height,
      int width,
      int kernel,
      int stride,
      int seReduced,
      int experts) {
    int outHeight() {
      return (height + 2 * (kernel / 2) - kernel) / stride + 1;
    }

    int outWidth() {
      return (width + 2 * (kernel / 2) - kernel) / stride + 1;
    }

    boolean shortcutConv() {
      return in != out || stride > 1;
    }

    /** Whether ghost module 1's output is needed as one tensor (a strided conv or SE reads it). */
    boolean wholeExpansion() {
      return stride > 1 || seReduced > 0;
    }

    /** Whether the block's ghost and shortcut convs are dynamic (ParameterNet's). */
    boolean dynamic() {
      return experts > 0;
    }

    /**
     * Whether ghost module 1's concat is NCHW: in a dynamic block, unless a strided depthwise conv
     * reads it or an SE that runs on NHWC ({@link KernelPolicy#planarSqueezeExcite}).
     */
    boolean planarConcat() {
      return dynamic() && stride <= 1 && (seReduced == 0 || planarSqueezeExcite());
    }

    /** Whether the squeeze-excite (if any) runs on NCHW. */
    boolean planarSqueezeExcite() {
      return KernelPolicy.planarSqueezeExcite(dynamic() && stride <= 1);
    }
  }

  private final DnnlProgram p;
  private final Shape shape;
  private final int activation;

  /** The batch norms by unit, in the order the forward pass runs them. */
  private final Map<String, PlanNorm> norms = new LinkedHashMap<>();

  private PlanConv primary1;
  private PlanConv cheap1;
  private DnnlConv reduce;
  private PlanConv primary2a;
  private DnnlConv primary2b;
  private PlanConv cheap2;
  private DnnlSqueezeExcite squeezeExcite;
  private PlanConv shortcutDepthwise;
  private PlanConv shortcutPointwise;

  /** Ghost module 1's output as one NHWC tensor, where a strided block materialises it. */
  private memory.desc concatDesc;

  BottleneckPlan(Shape shape, int activation, boolean training, boolean blocked) {
    this.shape = shape;
    this.activation = activation;
    p = new DnnlProgram(training, blocked);
    try {
      memory.desc userIn = p.desc(inDims(shape.in()), memory.format_tag.nchw);
      memory.desc userOut = p.desc(outDims(shape.out()), memory.format_tag.nchw);
      memory x = p.bound(userIn, X);
      memory[] ghost1 = ghost1(x);
      memory p2;
      if (shape.wholeExpansion()) {
        memory expanded = expanded(ghost1); // first: it makes the SE that may pool for the conv
        p2 = ghost2Primary(expanded, expandedProducers());
      } else if (shape.dynamic()) {
        // a dynamic conv routes on the whole input, which ghost module 1's norms can pool
        p2 = ghost2Primary(concat(ghost1), normsOf("ghost1_primary", "ghost1_cheap"));
      } else {
        p2 = ghost2PrimaryOverHalves(ghost1);
      }
      memory c2 = ghost2Cheap(p2);
      p.reorder(p.forward, shape.shortcutConv() ? shortcut() : x, p.bound(userOut, OUT), false);
      int half = shape.out() / 2;
      p.reorder(p.forward, p2, p.bound(channels(userOut, half, 0), OUT), true);
      p.reorder(p.forward, c2, p.bound(channels(userOut, half, half), OUT), true);
      if (training) {
        buildBackward(userIn, userOut);
      }
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  private long[] inDims(int channels) {
    return new long[] {shape.batch(), channels, shape.height(), shape.width()};
  }

  private long[] outDims(int channels) {
    return new long[] {shape.batch(), channels, shape.outHeight(), shape.outWidth()};
  }

  /** Channels [offset, offset + count) of {@code full}. */
  private memory.desc channels(memory.desc full, int count, int offset) {
    long[] dims = DnnlProgram.dims(full);
    dims[1] = count;
    return p.sub(full, dims, new long[] {0, offset, 0, 0});
  }

  /**
   * Appends unit {@code unit}'s batch norm and {@code act} over {@code raw}; returns the output.
   */
  private memory normForward(String unit, memory raw, int act) {
    memory.desc md = raw.get_desc();
    LaneLayout layout = LaneLayout.of(p, md);
    String prefix = norm(unit, "");
    PlanNorm n =
        switch (KernelPolicy.planNorm(layout)) {
          case PLANES -> new PlanarNorm(p, md, act, prefix);
          case LANES -> new LaneNorm(p, md, layout, act, prefix);
          case ONEDNN -> new DnnlNorm(p, md, act, prefix);
        };
    norms.put(unit, n);
    return n.forward(raw);
  }

  /**
   * Unit {@code unit}'s norm and {@code act} as post-ops of its conv, in an inference plan where
   * {@link KernelPolicy#foldedInferenceNorm} says so; else null (a norm step follows the conv).
   */
  private DnnlFoldedNorm folded(String unit, int channels, int act) {
    return !p.training && KernelPolicy.foldedInferenceNorm()
        ? new DnnlFoldedNorm(p, channels, act, norm(unit, ""))
        : null;
  }

  /** {@code conv} of {@code in}, then unit {@code unit}'s norm unless the conv folds it in. */
  private memory convNorm(PlanConv conv, memory in, String unit, int act) {
    memory raw = conv.forward(in, null);
    return conv.foldsNorm() ? raw : normForward(unit, raw, act);
  }

  /** Ghost module 1: returns its two halves, {primary, cheap}, activated. */
  private memory[] ghost1(memory x) {
    int in = shape.in();
    int half = shape.mid() / 2;
    primary1 =
        conv(
            "ghost1_primary",
            Geometry.pointwise(in, half),
            inDims(in),
            p.internal(inDims(in)),
            p.internal(inDims(half)),
            pointwise(half, in, in, 0),
            activation);
    memory a = convNorm(primary1, x, "ghost1_primary", activation);
    cheap1 =
        conv(
            "ghost1_cheap",
            Geometry.depthwise(half, 3, 1),
            inDims(half),
            p.following(a.get_desc()),
            p.internal(inDims(half)),
            depthwise(half, 3),
            activation);
    poolBy(cheap1, normsOf("ghost1_primary"));
    return new memory[] {a, convNorm(cheap1, a, "ghost1_cheap", activation)};
  }

  /** Ghost module 1's output, reduced by the strided depthwise conv, scaled by the SE. */
  private memory expanded(memory[] ghost1) {
    memory expanded = concat(ghost1);
    if (shape.stride() > 1) {
      expanded = reduce(expanded);
    }
    if (shape.seReduced() > 0) {
      squeezeExcite =
          new DnnlSqueezeExcite(
              p,
              DnnlProgram.dims(expanded.get_desc()),
              shape.seReduced(),
              activation,
              shape.planarSqueezeExcite());
      expanded = squeezeExcite.forward(expanded);
    }
    return expanded;
  }

  /**
   * The step that writes {@link #expanded}'s output: the SE, else the strided conv's norm (none
   * where an inference plan folds it into the conv).
   */
  private List<RoutingPoolSource> expandedProducers() {
    if (squeezeExcite != null) {
      return List.of(squeezeExcite);
    }
    PlanNorm norm = norms.get("dw");
    return norm != null ? List.of(norm) : List.of();
  }

  /** The gradient of {@link #expanded}'s output back to ghost module 1's two halves. */
  private memory[] expandedBackward(memory dExpanded) {
    if (squeezeExcite != null) {
      dExpanded = squeezeExcite.backward(dExpanded);
    }
    if (shape.stride() > 1) {
      dExpanded = reduceBackward(dExpanded);
    }
    return split(dExpanded);
  }

  /**
   * concat(a, b) in one buffer: NCHW where {@link Shape#planarConcat} says so, else NHWC for the
   * strided depthwise conv or the SE that reads across both.
   */
  private memory concat(memory[] halves) {
    int half = shape.mid() / 2;
    memory.format_tag layout =
        shape.planarConcat() ? memory.format_tag.nchw : memory.format_tag.nhwc;
    concatDesc = p.desc(inDims(shape.mid()), layout);
    memory whole = p.scratch(concatDesc);
    for (int i = 0; i < 2; i++) {
      memory part = p.view(whole, channels(concatDesc, half, i * half));
      p.reorder(p.forward, halves[i], part, false);
    }
    return whole;
  }

  /** The strided kxk depthwise conv + BN (no activation) of the expanded map. */
  private memory reduce(memory expanded) {
    int mid = shape.mid();
    reduce =
        new DnnlConv(
            p,
            Geometry.depthwise(mid, shape.kernel(), shape.stride()),
            p.following(expanded.get_desc()),
            p.internal(outDims(mid)),
            false,
            folded("dw", mid, FusedBatchNorm.IDENTITY));
    bindWeights(reduce, depthwise(mid, shape.kernel()), "dw");
    return convNorm(reduce, expanded, "dw", FusedBatchNorm.IDENTITY);
  }

  /**
   * Ghost module 2's primary conv + BN over one tensor of the expansion width, whose channels are
   * the outputs of {@code producers} in order.
   */
  private memory ghost2Primary(memory expanded, List<RoutingPoolSource> producers) {
    int mid = shape.mid();
    int half = shape.out() / 2;
    primary2a =
        conv(
            "ghost2_primary",
            Geometry.pointwise(mid, half),
            DnnlProgram.dims(expanded.get_desc()),
            p.following(expanded.get_desc()),
            p.internal(outDims(half)),
            pointwise(half, mid, mid, 0),
            FusedBatchNorm.IDENTITY);
    poolBy(primary2a, producers);
    return convNorm(primary2a, expanded, "ghost2_primary", FusedBatchNorm.IDENTITY);
  }

  /** Ghost module 2's primary conv + BN over concat(halves), as two convs adding up. */
  private memory ghost2PrimaryOverHalves(memory[] halves) {
    int half1 = shape.mid() / 2;
    int half = shape.out() / 2;
    Geometry geometry = Geometry.pointwise(half1, half);
    memory.desc out = p.internal(outDims(half));
    DnnlConv first = new DnnlConv(p, geometry, p.following(halves[0].get_desc()), out, false);
    bindWeights(first, pointwise(half, half1, shape.mid(), 0), "ghost2_primary");
    primary2a = first;
    memory raw = primary2a.forward(halves[0], null);
    DnnlFoldedNorm norm = folded("ghost2_primary", half, FusedBatchNorm.IDENTITY);
    primary2b =
        new DnnlConv(p, geometry, p.following(halves[1].get_desc()), raw.get_desc(), true, norm);
    bindWeights(primary2b, pointwise(half, half1, shape.mid(), half1), "ghost2_primary");
    primary2b.forward(halves[1], raw);
    return norm != null ? raw : normForward("ghost2_primary", raw, FusedBatchNorm.IDENTITY);
  }

  private memory ghost2Cheap(memory primary) {
    int half = shape.out() / 2;
    cheap2 =
        conv(
            "ghost2_cheap",
            Geometry.depthwise(half, 3, 1),
            outDims(half),
            p.following(primary.get_desc()),
            p.internal(outDims(half)),
            depthwise(half, 3),
            FusedBatchNorm.IDENTITY);
    poolBy(cheap2, normsOf("ghost2_primary"));
    return convNorm(cheap2, primary, "ghost2_cheap", FusedBatchNorm.IDENTITY);
  }

  /** The conv shortcut: kxk depthwise + BN, 1x1 + BN, from the input ghost module 1 read. */
  private memory shortcut() {
    int in = shape.in();
    memory x = primary1.source();
    shortcutDepthwise =
        conv(
            "sc_dw",
            Geometry.depthwise(in, shape.kernel(), shape.stride()),
            inDims(in),
            p.following(x.get_desc()),
            p.internal(outDims(in)),
            depthwise(in, shape.kernel()),
            FusedBatchNorm.IDENTITY);
    memory reduced = convNorm(shortcutDepthwise, x, "sc_dw", FusedBatchNorm.IDENTITY);
    shortcutPointwise =
        conv(
            "sc_pw",
            Geometry.pointwise(in, shape.out()),
            outDims(in),
            p.following(reduced.get_desc()),
            p.internal(outDims(shape.out())),
            pointwise(shape.out(), in, in, 0),
            FusedBatchNorm.IDENTITY);
    poolBy(shortcutPointwise, normsOf("sc_dw"));
    return convNorm(shortcutPointwise, reduced, "sc_pw", FusedBatchNorm.IDENTITY);
  }

  /**
   * Hands a dynamic {@code conv}'s routing pool to {@code producers} (norms, a squeeze-excite),
   * whose outputs are its input in that order, where {@link KernelPolicy#normPoolsRouting} and the
   * producers allow it. Every use of the conv's input gradient must be one of those producers'
   * backward passes (it leaves out the pool's share, which they add).
   */
  private void poolBy(PlanConv conv, List<RoutingPoolSource> producers) {
    if (conv instanceof DnnlDynamicConv dynamic && KernelPolicy.normPoolsRouting()) {
      dynamic.poolBy(producers);
    }
  }

  /** The norms of {@code units}, in that order. */
  private List<RoutingPoolSource> normsOf(String... units) {
    return Arrays.stream(units).<RoutingPoolSource>map(norms::get).toList();
  }

  /**
   * Unit {@code unit}'s conv from {@code srcDims}: dynamic in a ParameterNet block (every conv of
   * it but the strided reduction and the SE's), else static over DL4J's weights {@code user}.
   */
  private PlanConv conv(
      String unit,
      Geometry geometry,
      long[] srcDims,
      memory.desc srcMd,
      memory.desc dstMd,
      memory.desc user,
      int act) {
    if (shape.dynamic()) {
      String prefix = NativeBottleneckParams.key(unit + "_conv", "");
      return new DnnlDynamicConv(p, geometry, shape.experts(), srcDims, prefix);
    }
    DnnlConv conv =
        new DnnlConv(p, geometry, srcMd, dstMd, false, folded(unit, geometry.out(), act));
    bindWeights(conv, user, unit);
    return conv;
  }

  private static void bindWeights(DnnlConv conv, memory.desc user, String unit) {
    String key = weight(unit);
    conv.userWeights(user, key, gradient(key));
  }

  /** Input channels [offset, offset + in) of DL4J's 1x1 weights [out, fullIn, 1, 1]. */
  private memory.desc pointwise(int out, int in, int fullIn, int offset) {
    memory.desc full = p.desc(new long[] {out, fullIn, 1, 1}, memory.format_tag.oihw);
    return in == fullIn
        ? full
        : p.sub(full, new long[] {out, in, 1, 1}, new long[] {0, offset, 0, 0});
  }

  /** DL4J's depthwise weights [k, k, C, 1] seen as oneDNN's grouped [C, 1, 1, k, k]. */
  private memory.desc depthwise(int channels, int kernel) {
    return p.strided(
        new long[] {channels, 1, 1, kernel, kernel},
        new long[] {1, 1, 1, (long) kernel * channels, channels});
  }

  /** The backward pass, from the output gradient to the input's and every parameter's. */
  private void buildBackward(memory.desc userIn, memory.desc userOut) {
    int half = shape.out() / 2;
    memory dPrimary2 = p.scratch(norms.get("ghost2_primary").dstDesc());
    memory dCheap2 = p.scratch(norms.get("ghost2_cheap").dstDesc());
    p.reorder(p.backward, p.bound(channels(userOut, half, 0), D_OUT), dPrimary2, false);
    p.reorder(p.backward, p.bound(channels(userOut, half, half), D_OUT), dCheap2, false);
    memory dOut = p.bound(userOut, D_OUT);
    memory dx = p.bound(userIn, DX);
    p.reorder(p.backward, shape.shortcutConv() ? shortcutBackward(dOut) : dOut, dx, false);

    memory dCheap2Raw = normBackward("ghost2_cheap", dCheap2);
    p.accumulate(p.backward, dPrimary2, cheap2.backward(dCheap2Raw));
    memory dPrimary2Raw = normBackward("ghost2_primary", dPrimary2);
    memory[] dGhost1;
    if (shape.wholeExpansion()) {
      dGhost1 = expandedBackward(primary2a.backward(dPrimary2Raw));
    } else if (shape.dynamic()) {
      dGhost1 = split(primary2a.backward(dPrimary2Raw));
    } else {
      dGhost1 = new memory[] {primary2a.backward(dPrimary2Raw), primary2b.backward(dPrimary2Raw)};
    }
    memory dCheap1Raw = normBackward("ghost1_cheap", dGhost1[1]);
    p.accumulate(p.backward, dGhost1[0], cheap1.backward(dCheap1Raw));
    memory dPrimary1Raw = normBackward("ghost1_primary", dGhost1[0]);
    p.reorder(p.backward, primary1.backward(dPrimary1Raw), dx, true);
  }

  /** Unit {@code unit}'s BN backward (its activation's too); gamma's and beta's into DL4J's. */
  private memory normBackward(String unit, memory diff) {
    return norms.get(unit).backward(diff, gradient(norm(unit, "gamma")));
  }

  private memory shortcutBackward(memory dOut) {
    memory dReduced = shortcutPointwise.backward(normBackward("sc_pw", dOut));
    return shortcutDepthwise.backward(normBackward("sc_dw", dReduced));
  }

  private memory reduceBackward(memory dReduced) {
    return reduce.backward(normBackward("dw", dReduced));
  }

  /** The gradient of the materialised concat split back into ghost module 1's two halves. */
  private memory[] split(memory dConcat) {
    int half = shape.mid() / 2;
    memory whole = p.ensure(p.backward, dConcat, concatDesc);
    String[] units = {"ghost1_primary", "ghost1_cheap"};
    memory[] halves = new memory[2];
    for (int i = 0; i < 2; i++) {
      halves[i] = p.scratch(norms.get(units[i]).dstDesc());
      memory part = p.view(whole, channels(concatDesc, half, i * half));
      p.reorder(p.backward, part, halves[i], false);
    }
    return halves;
  }

  /** Runs the forward pass over the caller's buffers (keys as bound: {@link #X}, parameters). */
  void forward(Map<String, Pointer> buffers) {
    buffers.forEach(p::bind);
    p.run(p.weightsIn);
    p.run(p.forward);
  }

  /** Runs the backward pass of the last {@link #forward} ({@link #D_OUT}, {@link #DX}, views). */
  void backward(Map<String, Pointer> buffers) {
    buffers.forEach(p::bind);
    p.run(p.backward);
    p.run(p.weightsOut);
  }

  /** The units that have a batch norm (all of them). */
  Set<String> normUnits() {
    return norms.keySet();
  }

  /** Unit {@code unit}'s batch mean and biased variance of the last training forward pass. */
  float[][] batchStatistics(String unit) {
    PlanNorm n = norms.get(unit);
    return new float[][] {n.batchMean(), n.batchVariance()};
  }

  /** How many values unit {@code unit}'s norm averages per channel: batch x its plane. */
  long valuesPerChannel(String unit) {
    long[] dims = DnnlProgram.dims(norms.get(unit).dstDesc());
    return dims[0] * dims[2] * dims[3];
  }

  /** The program, for tests. */
  DnnlProgram program() {
    return p;
  }

  @Override
  public void close() {
    p.close();
  }
}
