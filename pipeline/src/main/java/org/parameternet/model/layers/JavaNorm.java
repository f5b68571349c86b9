package org.parameternet.model.layers;

import java.util.Arrays;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;

/**
 * What a plan's Java batch norms ({@link LaneNorm}, {@link PlanarNorm}) share: gamma and beta as
 * DL4J's adjacent views (gamma with beta after it), their gradients to the caller's key the same
 * way, the running statistics of an inference plan, the last forward pass's statistics and affine
 * map, and the two passes as Java steps of the program. Subclasses say how a pass walks the buffer.
 */
abstract class JavaNorm implements PlanNorm {
  final DnnlProgram p;
  final memory.desc desc;
  final int channels;
  final int activation;
  private final String name;
  private final String shape;
  private final memory gammaBeta;
  private final memory runningMean;
  private final memory runningVariance;

  /** Per-channel batch (or running) statistics and the affine map of the last forward pass. */
  final float[] mean;

  final float[] variance;
  final float[] invStd;
  final float[] scale;
  final float[] shift;

  /** The last forward pass's input. */
  private memory src;

  /**
   * A norm over {@code md} of {@code channels}, named {@code name} in the native profile (its dims
   * and {@code detail} after), whose gamma, beta, mean and var are the caller's {@code prefix}...
   */
  JavaNorm(
      DnnlProgram p,
      memory.desc md,
      int channels,
      int activation,
      String prefix,
      String name,
      String detail) {
    this.p = p;
    this.desc = md;
    this.channels = channels;
    this.activation = activation;
    this.name = name;
    this.shape = Arrays.toString(DnnlProgram.dims(md)) + detail;
    gammaBeta = p.bound(flat(2 * channels), prefix + "gamma");
    runningMean = p.training ? null : p.bound(flat(channels), prefix + "mean");
    runningVariance = p.training ? null : p.bound(flat(channels), prefix + "var");
    mean = new float[channels];
    variance = new float[channels];
    invStd = new float[channels];
    scale = new float[channels];
    shift = new float[channels];
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
    p.java(p.forward, name + " " + shape, s -> forwardStep(s, x, out));
    return out;
  }

  @Override
  public memory backward(memory diffAct, String gradientKey) {
    memory d = p.ensure(p.backward, diffAct, desc);
    memory dx = p.scratch(desc);
    memory gradient = p.bound(flat(2 * channels), gradientKey);
    memory x = src;
    p.java(p.backward, name + " backward " + shape, s -> backwardStep(s, x, d, dx, gradient));
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

  /** The forward pass: normalise and activate {@code x} into {@code out}. */
  abstract void forwardStep(stream s, memory x, memory out);

  /**
   * The backward pass from output gradient {@code d}: the input gradient into {@code dx}, gamma's
   * and beta's into {@code gradient}.
   */
  abstract void backwardStep(stream s, memory x, memory d, memory dx, memory gradient);

  /** Gamma then beta, as the forward pass reads them (after the stream's wait). */
  float[] gammaBeta() {
    return DnnlProgram.read(gammaBeta);
  }

  /** In an inference plan: the running statistics into {@link #mean} and {@link #variance}. */
  void readRunningStatistics() {
    new FloatPointer(runningMean.get_data_handle()).capacity(channels).get(mean);
    new FloatPointer(runningVariance.get_data_handle()).capacity(channels).get(variance);
  }

  /**
   * The backward pass's per-channel results from channel {@code c}'s {@code sum(g)} and {@code
   * sum(g * (x - mean))} over {@code values} values, g the activation's gradient: gamma's and
   * beta's gradients into {@code gradients} (at c and channels + c), and the input gradient's map
   * {@code dx = g * scale + x * k1 + k0} into {@code k1[c]} and {@code k0[c]}.
   */
  void inputGradientMap(
      int c, double sumG, double sumGC, double values, float[] gradients, float[] k1, float[] k0) {
    double dGamma = sumGC * invStd[c];
    double xCoefficient = -scale[c] * invStd[c] * dGamma / values;
    gradients[c] = (float) dGamma;
    gradients[channels + c] = (float) sumG;
    k1[c] = (float) xCoefficient;
    k0[c] = (float) (-scale[c] * sumG / values - xCoefficient * mean[c]);
  }

  /** Channel {@code c}'s {@link #invStd}, {@link #scale} and {@link #shift} from its statistics. */
  void affine(int c, float[] gammaBeta) {
    invStd[c] = (float) (1 / Math.sqrt(variance[c] + NativeBottleneck.EPS));
    scale[c] = gammaBeta[c] * invStd[c];
    shift[c] = gammaBeta[channels + c] - mean[c] * scale[c];
  }
}
