package org.parameternet.model.layers;

import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A batch norm and its activation as Java steps over a {@link DnnlProgram}'s NHWC, blocked or NCHW
 * buffers ({@link LaneLayout}), sample by sample, in {@link FusedBatchNorm}'s passes: forward the
 * statistics, then normalise and activate; backward the two gradient sums (the activation's
 * derivative recomputed from the input), then the input gradient. These loops run a period of lanes
 * at a time ({@link LaneKernels}); where they run instead of oneDNN's primitive, and why, is {@link
 * KernelPolicy#planNorm}'s to say.
 *
 * <p>Chunks of samples (at least {@link #CHUNK_FLOATS} floats, so a batch of 2x2 maps is a few
 * calls) are copied into per-thread arrays, worked and copied back, in parallel. Statistics are
 * float sums per chunk, shifted by the channel's first value, combined in double in chunk order, so
 * they do not depend on the thread count. Parameters and statistics: {@link JavaNorm}.
 */
final class LaneNorm extends JavaNorm {
  private final LaneLayout layout;

  /** {@link #scale} and {@link #shift} as the lane kernels read them, for the backward pass. */
  private float[] scaleLanes;

  private float[] shiftLanes;

  /** Floats a unit of work covers at least: a few samples of a small map, one of a large one. */
  private static final int CHUNK_FLOATS = 1 << 14;

  /** Per-chunk lane sums of a pass (one period per group), combined in chunk order. */
  private final double[][] partialA;

  private final double[][] partialB;

  /**
   * A norm over {@code md}, laid out as {@code layout} ({@link LaneLayout#of}), whose gamma, beta,
   * mean and var are the caller's {@code prefix}...
   */
  LaneNorm(DnnlProgram p, memory.desc md, LaneLayout layout, int activation, String prefix) {
    super(p, md, layout.channels(), activation, prefix, "norm", " width " + layout.width());
    this.layout = layout;
    int per = layout.samplesPer(CHUNK_FLOATS);
    int chunks = p.training ? (layout.batch() + per - 1) / per : 0;
    partialA = new double[chunks][layout.lanes()];
    partialB = new double[chunks][layout.lanes()];
  }

  @Override
  void forwardStep(stream s, memory x, memory out) {
    s._wait();
    FloatPointer xs = floats(x);
    if (p.training) {
      statistics(xs);
    } else {
      readRunningStatistics();
    }
    float[] gb = gammaBeta();
    for (int c = 0; c < channels; c++) {
      affine(c, gb);
    }
    scaleLanes = layout.periodic(scale);
    shiftLanes = layout.periodic(shift);
    float[] a = scaleLanes;
    float[] b = shiftLanes;
    FloatPointer ys = floats(out);
    forEachChunk(
        (chunk, first, samples) -> {
          float[] v = read(xs, first, samples, 0);
          LaneKernels.affineActivate(layout, v, samples, a, b, activation);
          write(ys, first, samples, v);
        });
  }

  /** The batch mean and biased variance of {@code xs} into {@link #mean}, {@link #variance}. */
  private void statistics(FloatPointer xs) {
    float[] first = new float[channels];
    for (int c = 0; c < channels; c++) {
      first[c] = xs.get((long) (c / layout.width()) * layout.groupLength() + c % layout.width());
    }
    float[] by = layout.periodic(first);
    forEachChunk(
        (chunk, start, samples) -> {
          float[] v = read(xs, start, samples, 0);
          float[] sum = new float[layout.lanes()];
          float[] squares = new float[layout.lanes()];
          LaneKernels.sums(layout, v, samples, by, sum, squares);
          store(sum, partialA[chunk]);
          store(squares, partialB[chunk]);
        });
    double[] sums = combined(partialA);
    double[] squares = combined(partialB);
    double values = layout.valuesPerChannel();
    for (int c = 0; c < channels; c++) {
      double shifted = sums[c] / values;
      mean[c] = (float) (first[c] + shifted);
      variance[c] = (float) Math.max(0, squares[c] / values - shifted * shifted);
    }
  }

  @Override
  void backwardStep(stream s, memory x, memory d, memory dx, memory gradient) {
    s._wait();
    FloatPointer xs = floats(x);
    FloatPointer ds = floats(d);
    float[] a = scaleLanes;
    float[] b = shiftLanes;
    float[] centre = layout.periodic(mean);
    forEachChunk(
        (chunk, first, samples) -> {
          float[] v = read(xs, first, samples, 0);
          float[] g = read(ds, first, samples, 1);
          LaneKernels.activationGradient(layout, v, g, samples, a, b, activation);
          float[] sumG = new float[layout.lanes()];
          float[] sumGC = new float[layout.lanes()];
          LaneKernels.gradientSums(layout, g, v, samples, centre, sumG, sumGC);
          store(sumG, partialA[chunk]);
          store(sumGC, partialB[chunk]);
        });
    double[] sumG = combined(partialA);
    double[] sumGC = combined(partialB);
    double values = layout.valuesPerChannel();
    float[] gradients = new float[2 * channels];
    float[] k1 = new float[channels];
    float[] k0 = new float[channels];
    for (int c = 0; c < channels; c++) {
      inputGradientMap(c, sumG[c], sumGC[c], values, gradients, k1, k0);
    }
    DnnlProgram.write(gradients, gradient);
    float[] c1 = layout.periodic(k1);
    float[] c0 = layout.periodic(k0);
    FloatPointer out = floats(dx);
    forEachChunk(
        (chunk, first, samples) -> {
          float[] v = read(xs, first, samples, 0);
          float[] g = read(ds, first, samples, 1);
          LaneKernels.activationGradient(layout, v, g, samples, a, b, activation);
          LaneKernels.combine(layout, g, v, samples, a, c1, c0);
          write(out, first, samples, v);
        });
  }

  private static void store(float[] lanes, double[] partial) {
    for (int i = 0; i < lanes.length; i++) {
      partial[i] = lanes[i];
    }
  }

  /** The chunks' lane sums added in chunk order (whatever thread ran each), per channel. */
  private double[] combined(double[][] partials) {
    double[] lanes = new double[layout.lanes()];
    for (double[] partial : partials) {
      for (int i = 0; i < lanes.length; i++) {
        lanes[i] += partial[i];
      }
    }
    double[] perChannel = new double[layout.channels()];
    layout.fold(lanes, perChannel);
    return perChannel;
  }

  /** Work on samples {@code [first, first + count)}, chunk {@code chunk} of the batch. */
  private interface Chunk {
    void run(int chunk, int first, int count);
  }

  private void forEachChunk(Chunk body) {
    int per = layout.samplesPer(CHUNK_FLOATS);
    int chunks = (layout.batch() + per - 1) / per;
    PlaneWork.forEachChannel(
        chunks,
        layout.size(),
        chunk -> {
          int first = chunk * per;
          body.run(chunk, first, Math.min(per, layout.batch() - first));
        });
  }

  private FloatPointer floats(memory m) {
    return DnnlProgram.floats(m, layout.size());
  }

  /** Samples {@code [first, first + count)}, copied into this thread's scratch {@code slot}. */
  private float[] read(FloatPointer m, int first, int count, int slot) {
    int length = count * layout.sampleLength();
    float[] values = PlaneWork.scratch(slot, length);
    new FloatPointer(m).position((long) first * layout.sampleLength()).get(values, 0, length);
    return values;
  }

  private void write(FloatPointer m, int first, int count, float[] values) {
    new FloatPointer(m)
        .position((long) first * layout.sampleLength())
        .put(values, 0, count * layout.sampleLength());
  }
}
