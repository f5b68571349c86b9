package org.parameternet.model.layers;

import java.nio.FloatBuffer;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;

/**
 * A batch norm and its activation as Java steps over a {@link DnnlProgram}'s NCHW buffers (what
 * ParameterNet's dynamic convs write), one channel at a time: a thread copies all of a channel's
 * planes into its own array once and runs both passes on that copy, the statistics and the
 * normalisation forward, the two gradient sums and the input gradient backward. Each buffer is so
 * read from memory once per direction, where {@link LaneNorm}'s sample-by-sample passes read it
 * twice; at 112x112 a channel of a batch of 32 is 1.6 MB, which stays in the cache between the
 * passes. Planes past {@link #RESIDENT_FLOATS} are read again in the second pass.
 *
 * <p>The per-plane loops are {@link FusedBatchNorm}'s, with its numerics: float sums per plane,
 * shifted by the channel's first value, added up in double in sample order, so the result does not
 * depend on the thread count. Parameters and statistics: {@link JavaNorm}.
 *
 * <p>Where its output is a dynamic conv's input, it also does that conv's routing pool ({@link
 * RoutingPoolSource#poolInto}): the mean of each plane as it writes it, and backward the pool's
 * gradient added to each plane as it reads it. That saves the conv a pass over its input forward
 * and one over its input gradient backward (a read and a write), which the plane here is already in
 * cache for.
 */
final class PlanarNorm extends JavaNorm {
  /** Floats of one channel a thread holds at most per buffer (2 MB). */
  static final int RESIDENT_FLOATS = 1 << 19;

  /** Floats a float sum covers at most where planes are smaller (see {@link #segment}). */
  private static final int SEGMENT_FLOATS = 1 << 12;

  private final int batch;
  private final int plane;
  private final int residentFloats;

  /** The routing pools this norm does for the dynamic convs that read its output. */
  private final RoutingPools pools;

  /**
   * A norm over NCHW {@code md} whose gamma, beta, mean and var are the caller's {@code prefix}...
   */
  PlanarNorm(DnnlProgram p, memory.desc md, int activation, String prefix) {
    this(p, md, activation, prefix, RESIDENT_FLOATS);
  }

  /** As above, holding at most {@code residentFloats} of a channel per buffer (for tests). */
  PlanarNorm(DnnlProgram p, memory.desc md, int activation, String prefix, int residentFloats) {
    super(p, md, Math.toIntExact(DnnlProgram.dims(md)[1]), activation, prefix, "planar norm", "");
    long[] dims = DnnlProgram.dims(md);
    this.residentFloats = residentFloats;
    batch = Math.toIntExact(dims[0]);
    plane = Math.toIntExact(dims[2] * dims[3]);
    pools = new RoutingPools(batch, channels);
  }

  @Override
  public RoutingPools routingPools() {
    return pools;
  }

  /** Samples whose planes a thread keeps per buffer: all of them up to {@link #residentFloats}. */
  private int resident() {
    return Math.max(1, Math.min(batch, residentFloats / plane));
  }

  @Override
  void forwardStep(stream s, memory x, memory out) {
    s._wait();
    float[] gb = gammaBeta();
    if (!p.training) {
      readRunningStatistics();
    }
    ChannelPlanes xs = planes(x);
    ChannelPlanes ys = planes(out);
    float[] means = pools.means(); // every cell written below; null without pools
    PlaneWork.forEachChannel(
        channels,
        xs.size(),
        c -> {
          int kept = p.training ? resident() : 0;
          float[] v = PlaneWork.scratch(0, kept * plane);
          if (p.training) {
            statistics(xs, c, v, kept);
          }
          affine(c, gb);
          FusedBatchNorm.affineActivate(v, kept * plane, scale[c], shift[c], activation);
          for (int n = 0; n < kept; n++) {
            ys.data().put(ys.start(n, c), v, n * plane, plane);
            planeMean(means, n, c, v, n * plane);
          }
          float[] w = PlaneWork.scratch(2, plane);
          for (int n = kept; n < batch; n++) {
            xs.data().get(xs.start(n, c), w, 0, plane);
            FusedBatchNorm.affineActivate(w, plane, scale[c], shift[c], activation);
            ys.data().put(ys.start(n, c), w, 0, plane);
            planeMean(means, n, c, w, 0);
          }
        });
    pools.publish();
  }

  /** The mean of plane (n, c), at {@code v[from]}, into {@code means} (none: no pools). */
  private void planeMean(float[] means, int n, int c, float[] v, int from) {
    if (means != null) {
      means[n * channels + c] = FusedBatchNorm.planeSum(v, from, plane) / plane;
    }
  }

  /** Adds plane (n, c)'s pooled gradient to {@code g[from, from + plane)} (none: no pools). */
  private void addPooled(float[] g, int from, float[] added, int n, int c) {
    if (added != null) {
      float value = added[n * channels + c];
      for (int i = from; i < from + plane; i++) {
        g[i] += value;
      }
    }
  }

  /**
   * Channel {@code c}'s batch mean and biased variance into {@link #mean}, {@link #variance}, its
   * first {@code kept} planes left in {@code v}.
   */
  private void statistics(ChannelPlanes xs, int c, float[] v, int kept) {
    float first = xs.data().get(xs.start(0, c));
    for (int n = 0; n < kept; n++) {
      xs.data().get(xs.start(n, c), v, n * plane, plane);
    }
    float[] sums = new float[2];
    double sum = 0;
    double squares = 0;
    int step = segment();
    for (int n = 0; n < kept; n += step) {
      FusedBatchNorm.planeSums(v, n * plane, Math.min(step, kept - n) * plane, first, sums);
      sum += sums[0];
      squares += sums[1];
    }
    float[] w = PlaneWork.scratch(2, plane);
    for (int n = kept; n < batch; n++) {
      xs.data().get(xs.start(n, c), w, 0, plane);
      FusedBatchNorm.planeSums(w, 0, plane, first, sums);
      sum += sums[0];
      squares += sums[1];
    }
    double values = (double) batch * plane;
    double shifted = sum / values;
    mean[c] = (float) (first + shifted);
    variance[c] = (float) Math.max(0, squares / values - shifted * shifted);
  }

  /**
   * Planes summed in float at a time: one, or as many small ones as make {@link #SEGMENT_FLOATS} (a
   * float sum per 7x7 plane would cost more than the plane's loop).
   */
  private int segment() {
    return Math.max(1, SEGMENT_FLOATS / plane);
  }

  @Override
  void backwardStep(stream s, memory x, memory d, memory dx, memory gradient) {
    s._wait();
    ChannelPlanes xs = planes(x);
    ChannelPlanes ds = planes(d);
    ChannelPlanes out = planes(dx);
    float[] gradients = new float[2 * channels];
    float[] k1 = new float[channels];
    float[] k0 = new float[channels];
    double values = (double) batch * plane;
    float[] added = pools.gradients();
    PlaneWork.forEachChannel(
        channels,
        xs.size(),
        c -> {
          int kept = resident();
          float[] v = PlaneWork.scratch(0, kept * plane);
          float[] g = PlaneWork.scratch(1, kept * plane);
          for (int n = 0; n < kept; n++) {
            xs.data().get(xs.start(n, c), v, n * plane, plane);
            ds.data().get(ds.start(n, c), g, n * plane, plane);
            addPooled(g, n * plane, added, n, c);
          }
          float a = scale[c];
          float b = shift[c];
          FusedBatchNorm.activationGradient(v, g, kept * plane, a, b, activation);
          double[] sums = gradientSums(xs, ds, c, v, g, kept, added);
          inputGradientMap(c, sums[0], sums[1], values, gradients, k1, k0);
          FusedBatchNorm.combine(g, v, kept * plane, a, k1[c], k0[c]);
          for (int n = 0; n < kept; n++) {
            out.data().put(out.start(n, c), v, n * plane, plane);
          }
          float[] w = PlaneWork.scratch(2, plane);
          float[] h = PlaneWork.scratch(3, plane);
          for (int n = kept; n < batch; n++) {
            planeGradient(xs, ds, n, c, added, w, h);
            FusedBatchNorm.combine(h, w, plane, a, k1[c], k0[c]);
            out.data().put(out.start(n, c), w, 0, plane);
          }
        });
    DnnlProgram.write(gradients, gradient);
  }

  /**
   * Channel {@code c}'s {@code sum(g)} and {@code sum(g * (x - mean))}, g the activation's
   * gradient: the first {@code kept} planes from {@code v} and {@code g}, the rest read again.
   */
  private double[] gradientSums(
      ChannelPlanes xs, ChannelPlanes ds, int c, float[] v, float[] g, int kept, float[] added) {
    float[] sums = new float[2];
    double total = 0;
    double centred = 0;
    int step = segment();
    for (int n = 0; n < kept; n += step) {
      int length = Math.min(step, kept - n) * plane;
      FusedBatchNorm.planeGradientSums(g, v, n * plane, length, mean[c], sums);
      total += sums[0];
      centred += sums[1];
    }
    float[] w = PlaneWork.scratch(2, plane);
    float[] h = PlaneWork.scratch(3, plane);
    for (int n = kept; n < batch; n++) {
      planeGradient(xs, ds, n, c, added, w, h);
      FusedBatchNorm.planeGradientSums(h, w, 0, plane, mean[c], sums);
      total += sums[0];
      centred += sums[1];
    }
    return new double[] {total, centred};
  }

  /**
   * {@link FusedBatchNorm#planeGradient} of plane (n, c) into {@code w} and {@code h}, the pools'
   * gradient added to the output gradient before the activation's derivative.
   */
  private void planeGradient(
      ChannelPlanes xs, ChannelPlanes ds, int n, int c, float[] added, float[] w, float[] h) {
    xs.data().get(xs.start(n, c), w, 0, plane);
    ds.data().get(ds.start(n, c), h, 0, plane);
    addPooled(h, 0, added, n, c);
    FusedBatchNorm.activationGradient(w, h, plane, scale[c], shift[c], activation);
  }

  private ChannelPlanes planes(memory m) {
    FloatBuffer data = DnnlProgram.floatBuffer(m, (long) batch * channels * plane);
    return new ChannelPlanes(data, batch, channels, plane, channels * plane, plane, null);
  }
}
