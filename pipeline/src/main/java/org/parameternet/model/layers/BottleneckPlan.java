package org.parameternet.model.layers;

import static org.parameternet.model.layers.NativeBottleneckParams.norm;
import static org.parameternet.model.layers.NativeBottleneckParams.weight;

import java.util.Map;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.Pointer;

/**
 * A GhostNet bottleneck (stride 1, identity shortcut, no SE) as oneDNN primitives for one input
 * shape, in training (forward + backward) or inference form: what {@link NativeBottleneckLayer}
 * caches per batch size. The block's input, output and their gradients are DL4J's NCHW arrays;
 * inside, activations are blocked or NHWC ({@link DnnlProgram#blocked}).
 *
 * <p>Neither concat is materialised. Ghost module 2's primary conv over concat(a, b) runs as a conv
 * over a plus a conv over b adding to it (a sum post-op), each with its half of the weights. The
 * output, x + concat(p, c), is a copy of x and two adding reorders into its channel halves; the
 * backward pass splits the output gradient the same way and adds the branch's input gradient to the
 * shortcut's.
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

  /** The input shape: batch, channels (in = out), expansion width and the plane. */
  record Shape(int batch, int channels, int mid, int height, int width) {}

  private final DnnlProgram p;
  private final Shape shape;
  private final int activation;

  /** The four norms in parameter order: ghost 1 primary, cheap; ghost 2 primary, cheap. */
  private final DnnlNorm[] norms = new DnnlNorm[4];

  private DnnlConv primary1;
  private DnnlConv cheap1;
  private DnnlConv primary2a;
  private DnnlConv primary2b;
  private DnnlConv cheap2;

  BottleneckPlan(Shape shape, int activation, boolean training, boolean blocked) {
    this.shape = shape;
    this.activation = activation;
    p = new DnnlProgram(training, blocked);
    try {
      memory.desc user = p.desc(dims(shape.channels()), memory.format_tag.nchw);
      memory p2 = ghost2Primary(ghost1(p.bound(user, X)));
      memory c2 = ghost2Cheap(p2);
      p.reorder(p.forward, p.bound(user, X), p.bound(user, OUT), false);
      int half = shape.channels() / 2;
      p.reorder(p.forward, p2, p.bound(channels(user, half, 0), OUT), true);
      p.reorder(p.forward, c2, p.bound(channels(user, half, half), OUT), true);
      if (training) {
        buildBackward(user);
      }
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  private long[] dims(int channels) {
    return new long[] {shape.batch(), channels, shape.height(), shape.width()};
  }

  private memory.desc channels(memory.desc full, int count, int offset) {
    return p.sub(full, dims(count), new long[] {0, offset, 0, 0});
  }

  private static String prefix(int ghost, String part) {
    return norm(ghost, part, "");
  }

  /** Ghost module 1: returns its two halves, {primary, cheap}, activated. */
  private memory[] ghost1(memory x) {
    int c = shape.channels();
    int half = shape.mid() / 2;
    primary1 = new DnnlConv(p, c, half, false, p.internal(dims(c)), p.internal(dims(half)), false);
    bindWeights(primary1, pointwise(half, c, c, 0), weight(1, "primary"));
    memory raw = primary1.forward(x, null);
    norms[0] = new DnnlNorm(p, raw.get_desc(), activation, prefix(1, "primary"));
    memory a = norms[0].forward(raw);
    cheap1 =
        new DnnlConv(p, half, half, true, p.following(a.get_desc()), p.internal(dims(half)), false);
    bindWeights(cheap1, depthwise(half), weight(1, "cheap"));
    memory cheapRaw = cheap1.forward(a, null);
    norms[1] = new DnnlNorm(p, cheapRaw.get_desc(), activation, prefix(1, "cheap"));
    return new memory[] {a, norms[1].forward(cheapRaw)};
  }

  /** Ghost module 2's primary conv + BN over concat(halves), as two convs adding up. */
  private memory ghost2Primary(memory[] halves) {
    int half1 = shape.mid() / 2;
    int half = shape.channels() / 2;
    memory.desc out = p.internal(dims(half));
    primary2a = new DnnlConv(p, half1, half, false, p.following(halves[0].get_desc()), out, false);
    bindWeights(primary2a, pointwise(half, half1, shape.mid(), 0), weight(2, "primary"));
    memory raw = primary2a.forward(halves[0], null);
    primary2b =
        new DnnlConv(
            p, half1, half, false, p.following(halves[1].get_desc()), raw.get_desc(), true);
    bindWeights(primary2b, pointwise(half, half1, shape.mid(), half1), weight(2, "primary"));
    primary2b.forward(halves[1], raw);
    norms[2] = new DnnlNorm(p, raw.get_desc(), FusedBatchNorm.IDENTITY, prefix(2, "primary"));
    return norms[2].forward(raw);
  }

  private memory ghost2Cheap(memory primary) {
    int half = shape.channels() / 2;
    cheap2 =
        new DnnlConv(
            p, half, half, true, p.following(primary.get_desc()), p.internal(dims(half)), false);
    bindWeights(cheap2, depthwise(half), weight(2, "cheap"));
    memory raw = cheap2.forward(primary, null);
    norms[3] = new DnnlNorm(p, raw.get_desc(), FusedBatchNorm.IDENTITY, prefix(2, "cheap"));
    return norms[3].forward(raw);
  }

  private static void bindWeights(DnnlConv conv, memory.desc user, String key) {
    conv.userWeights(user, key, gradient(key));
  }

  /** Input channels [offset, offset + in) of DL4J's 1x1 weights [out, fullIn, 1, 1]. */
  private memory.desc pointwise(int out, int in, int fullIn, int offset) {
    memory.desc full = p.desc(new long[] {out, fullIn, 1, 1}, memory.format_tag.oihw);
    return in == fullIn
        ? full
        : p.sub(full, new long[] {out, in, 1, 1}, new long[] {0, offset, 0, 0});
  }

  /** DL4J's depthwise weights [kh, kw, C, 1] seen as oneDNN's grouped [C, 1, 1, 3, 3]. */
  private memory.desc depthwise(int channels) {
    return p.strided(
        new long[] {channels, 1, 1, 3, 3}, new long[] {1, 1, 1, 3L * channels, channels});
  }

  /** The backward pass, from the output gradient to the input's and every parameter's. */
  private void buildBackward(memory.desc user) {
    int half = shape.channels() / 2;
    memory dPrimary2 = p.scratch(norms[2].dstDesc());
    memory dCheap2 = p.scratch(norms[3].dstDesc());
    p.reorder(p.backward, p.bound(channels(user, half, 0), D_OUT), dPrimary2, false);
    p.reorder(p.backward, p.bound(channels(user, half, half), D_OUT), dCheap2, false);
    memory dx = p.bound(user, DX);
    p.reorder(p.backward, p.bound(user, D_OUT), dx, false); // the shortcut's share

    memory dCheap2Raw = norms[3].backward(dCheap2, gradient(norm(2, "cheap", "gamma")));
    p.accumulate(p.backward, dPrimary2, cheap2.backward(dCheap2Raw));
    memory dPrimary2Raw = norms[2].backward(dPrimary2, gradient(norm(2, "primary", "gamma")));
    memory dCheap1 = primary2b.backward(dPrimary2Raw);
    memory dPrimary1 = primary2a.backward(dPrimary2Raw);
    memory dCheap1Raw = norms[1].backward(dCheap1, gradient(norm(1, "cheap", "gamma")));
    p.accumulate(p.backward, dPrimary1, cheap1.backward(dCheap1Raw));
    memory dPrimary1Raw = norms[0].backward(dPrimary1, gradient(norm(1, "primary", "gamma")));
    p.reorder(p.backward, primary1.backward(dPrimary1Raw), dx, true);
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

  /** Norm {@code i}'s (parameter order) batch mean and biased variance of the last forward. */
  float[][] batchStatistics(int i) {
    return new float[][] {norms[i].batchMean(), norms[i].batchVariance()};
  }

  @Override
  public void close() {
    p.close();
  }
}
