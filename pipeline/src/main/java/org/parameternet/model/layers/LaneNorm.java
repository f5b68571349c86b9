package org.parameternet.model.layers;

import java.util.Arrays;
import java.util.function.IntConsumer;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A batch norm and its activation as Java steps over a {@link DnnlProgram}'s NHWC or blocked
 * buffers ({@link LaneLayout}), in {@link FusedBatchNorm}'s passes: forward the statistics, then
 * normalise and activate; backward the two gradient sums (the activation's derivative recomputed
 * from the input), then the input gradient. oneDNN 2.5's batch norm on these layouts took 2-8 ns an
 * element on the small cell's narrow maps (its {@code bnorm_jit} at 6-24 channels, padded blocks at
 * 168), a quarter of a ghostnet_small_64 step; these loops run a period of lanes at a time ({@link
 * LaneKernels}).
 *
 * <p>Each sample is copied into a per-thread array, worked and copied back, the samples in
 * parallel. Statistics are float sums per sample, shifted by the channel's first value, combined in
 * double in sample order, so they do not depend on the thread count. Gamma and beta are DL4J's
 * adjacent views (gamma with beta after it); their gradients go to the caller's key the same way.
 */
final class LaneNorm implements PlanNorm {
  private final DnnlProgram p;
  private final memory.desc desc;
  private final LaneLayout layout;
  private final int activation;
  private final memory gammaBeta;
  private final memory runningMean;
  private final memory runningVariance;

  /** Per-channel batch (or running) statistics and the affine map of the last forward pass. */
  private final float[] mean;

  private final float[] variance;
  private final float[] invStd;
  private final float[] scale;
  private final float[] shift;

  /** Per-sample, per-channel partial sums of a pass, combined in sample order. */
  private final double[][] partialA;

  private final double[][] partialB;

  /** The last forward pass's input. */
  private memory src;

  /** Whether {@code md} is a layout this norm runs on ({@link LaneLayout#of}). */
  static boolean supports(DnnlProgram p, memory.desc md) {
    return LaneLayout.of(p, md) != null;
  }

  /** A norm over {@code md} whose gamma, beta, mean and var are the caller's {@code prefix}... */
  LaneNorm(DnnlProgram p, memory.desc md, int activation, String prefix) {
    this.p = p;
    this.desc = md;
    this.activation = activation;
    layout = LaneLayout.of(p, md);
    int channels = layout.channels();
    gammaBeta = p.bound(flat(2 * channels), prefix + "gamma");
    runningMean = p.training ? null : p.bound(flat(channels), prefix + "mean");
    runningVariance = p.training ? null : p.bound(flat(channels), prefix + "var");
    mean = new float[channels];
    variance = new float[channels];
    invStd = new float[channels];
    scale = new float[channels];
    shift = new float[channels];
    int samples = p.training ? layout.batch() : 0;
    partialA = new double[samples][channels];
    partialB = new double[samples][channels];
  }

  private memory.desc flat(int length) {
    return p.desc(new long[] {length}, memory.format_tag.a);
  }

  @Override
  public memory.desc dstDesc() {
    return desc;
  }

  @Override
  public memory forward(memory in) {
    src = p.ensure(p.forward, in, desc);
    memory x = src;
    memory out = p.scratch(desc);
    p.java(p.forward, "norm", s -> forwardStep(s, x, out));
    return out;
  }

  @Override
  public memory backward(memory diffAct, String gradientKey) {
    memory d = p.ensure(p.backward, diffAct, desc);
    memory dx = p.scratch(desc);
    memory gradient = p.bound(flat(2 * layout.channels()), gradientKey);
    memory x = src;
    p.java(p.backward, "norm backward", s -> backwardStep(s, x, d, dx, gradient));
    return dx;
  }

  @Override
  public float[] batchMean() {
    return mean.clone();
  }

  @Override
  public float[] batchVariance() {
    return variance.clone();
  }

  private void forwardStep(stream s, memory x, memory out) {
    s._wait();
    FloatPointer xs = floats(x);
    if (p.training) {
      statistics(xs);
    } else {
      new FloatPointer(runningMean.get_data_handle()).capacity(mean.length).get(mean);
      new FloatPointer(runningVariance.get_data_handle()).capacity(mean.length).get(variance);
    }
    float[] gb = DnnlProgram.read(gammaBeta);
    int channels = layout.channels();
    for (int c = 0; c < channels; c++) {
      invStd[c] = (float) (1 / Math.sqrt(variance[c] + NativeBottleneck.EPS));
      scale[c] = gb[c] * invStd[c];
      shift[c] = gb[channels + c] - mean[c] * scale[c];
    }
    float[][] a = periodic(scale);
    float[][] b = periodic(shift);
    FloatPointer ys = floats(out);
    forEachSample(
        n -> {
          float[] v = sample(xs, n, 0);
          for (int g = 0; g < layout.groups(); g++) {
            LaneKernels.affineActivate(
                v, g * layout.groupLength(), layout.groupLength(), a[g], b[g], activation);
          }
          put(ys, n, v);
        });
  }

  /** The batch mean and biased variance of {@code xs} into {@link #mean}, {@link #variance}. */
  private void statistics(FloatPointer xs) {
    int channels = layout.channels();
    float[] first = new float[channels];
    for (int c = 0; c < channels; c++) {
      first[c] = xs.get((long) (c / layout.width()) * layout.groupLength() + c % layout.width());
    }
    float[][] by = periodic(first);
    forEachSample(
        n -> {
          float[] v = sample(xs, n, 0);
          Arrays.fill(partialA[n], 0);
          Arrays.fill(partialB[n], 0);
          for (int g = 0; g < layout.groups(); g++) {
            float[] sum = new float[layout.period()];
            float[] squares = new float[layout.period()];
            LaneKernels.sums(
                v, g * layout.groupLength(), layout.groupLength(), by[g], sum, squares);
            layout.fold(sum, g, partialA[n]);
            layout.fold(squares, g, partialB[n]);
          }
        });
    double count = layout.valuesPerChannel();
    for (int c = 0; c < channels; c++) {
      double sum = 0;
      double squares = 0;
      for (int n = 0; n < layout.batch(); n++) {
        sum += partialA[n][c];
        squares += partialB[n][c];
      }
      double shifted = sum / count;
      mean[c] = (float) (first[c] + shifted);
      variance[c] = (float) Math.max(0, squares / count - shifted * shifted);
    }
  }

  private void backwardStep(stream s, memory x, memory d, memory dx, memory gradient) {
    s._wait();
    FloatPointer xs = floats(x);
    FloatPointer ds = floats(d);
    float[][] a = periodic(scale);
    float[][] b = periodic(shift);
    float[][] centre = periodic(mean);
    forEachSample(
        n -> {
          float[] v = sample(xs, n, 0);
          float[] g = sample(ds, n, 1);
          Arrays.fill(partialA[n], 0);
          Arrays.fill(partialB[n], 0);
          for (int k = 0; k < layout.groups(); k++) {
            int off = k * layout.groupLength();
            LaneKernels.activationGradient(v, g, off, layout.groupLength(), a[k], b[k], activation);
            float[] sumG = new float[layout.period()];
            float[] sumGC = new float[layout.period()];
            LaneKernels.gradientSums(g, v, off, layout.groupLength(), centre[k], sumG, sumGC);
            layout.fold(sumG, k, partialA[n]);
            layout.fold(sumGC, k, partialB[n]);
          }
        });
    int channels = layout.channels();
    double count = layout.valuesPerChannel();
    float[] gradients = new float[2 * channels];
    float[] k1 = new float[channels];
    float[] k0 = new float[channels];
    for (int c = 0; c < channels; c++) {
      double sumG = 0;
      double sumGC = 0;
      for (int n = 0; n < layout.batch(); n++) {
        sumG += partialA[n][c];
        sumGC += partialB[n][c];
      }
      double dGamma = sumGC * invStd[c];
      double xCoefficient = -scale[c] * invStd[c] * dGamma / count;
      gradients[c] = (float) dGamma;
      gradients[channels + c] = (float) sumG;
      k1[c] = (float) xCoefficient;
      k0[c] = (float) (-scale[c] * sumG / count - xCoefficient * mean[c]);
    }
    DnnlProgram.write(gradients, gradient);
    float[][] c1 = periodic(k1);
    float[][] c0 = periodic(k0);
    FloatPointer out = floats(dx);
    forEachSample(
        n -> {
          float[] v = sample(xs, n, 0);
          float[] g = sample(ds, n, 1);
          for (int k = 0; k < layout.groups(); k++) {
            int off = k * layout.groupLength();
            int len = layout.groupLength();
            LaneKernels.activationGradient(v, g, off, len, a[k], b[k], activation);
            LaneKernels.combine(g, v, off, len, a[k], c1[k], c0[k]);
          }
          put(out, n, v);
        });
  }

  private float[][] periodic(float[] perChannel) {
    float[][] periods = new float[layout.groups()][];
    for (int g = 0; g < periods.length; g++) {
      periods[g] = layout.periodic(perChannel, g);
    }
    return periods;
  }

  private void forEachSample(IntConsumer body) {
    PlaneWork.forEachChannel(layout.batch(), layout.size(), body);
  }

  private FloatPointer floats(memory m) {
    return new FloatPointer(m.get_data_handle()).capacity(layout.size());
  }

  /** Sample {@code n}, copied into this thread's scratch {@code slot}. */
  private float[] sample(FloatPointer m, int n, int slot) {
    int length = layout.sampleLength();
    float[] values = PlaneWork.scratch(slot, length);
    new FloatPointer(m).position((long) n * length).get(values, 0, length);
    return values;
  }

  private void put(FloatPointer m, int n, float[] values) {
    int length = layout.sampleLength();
    new FloatPointer(m).position((long) n * length).put(values, 0, length);
  }
}
