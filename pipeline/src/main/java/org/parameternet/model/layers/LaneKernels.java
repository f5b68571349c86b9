package org.parameternet.model.layers;

/**
 * Per-channel loops over whole samples of a buffer whose channels repeat with a period ({@link
 * LaneLayout}): {@code x} holds {@code samples} consecutive samples from index 0, and per-channel
 * values ({@code a}, {@code shift}, ...) and lane sums are one period per group, laid out as {@link
 * LaneLayout#periodic} gives them. They run in SIMD ({@link LaneVectors}) when the JVM has the
 * Vector API; the loops here are the fallback and the definition. Activation codes are {@link
 * FusedBatchNorm}'s, with its rounding: the pre-activation is a multiply, then an add, as the
 * forward pass computes it, so a derivative's kink agrees with the output.
 */
final class LaneKernels {
  /** Floats per SIMD vector the periods are built for (256-bit, as the plane kernels). */
  static final int LANES = 8;

  private static final boolean SIMD = VectorKernels.available();

  private LaneKernels() {}

  /** The period of rows {@code width} floats wide: a whole number of vectors. */
  static int period(int width) {
    int a = width;
    int b = LANES;
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return width / a * LANES;
  }

  /** The index into a group's periodic values of float {@code i} of a sample. */
  private static int lane(LaneLayout l, int i) {
    int group = i / l.groupLength();
    return group * l.period() + i % l.groupLength() % l.period();
  }

  /**
   * {@code sum += x - shift} and {@code squares += (x - shift)^2}, per lane of each group's period.
   */
  static void sums(
      LaneLayout l, float[] x, int samples, float[] shift, float[] sum, float[] squares) {
    if (SIMD) {
      LaneVectors.sums(l, x, samples, shift, sum, squares);
      return;
    }
    for (int i = 0; i < samples * l.sampleLength(); i++) {
      int j = lane(l, i % l.sampleLength());
      float v = x[i] - shift[j];
      sum[j] += v;
      squares[j] += v * v;
    }
  }

  /** {@code sumG += g} and {@code sumGC += g * (x - centre)}, per lane. */
  static void gradientSums(
      LaneLayout l,
      float[] g,
      float[] x,
      int samples,
      float[] centre,
      float[] sumG,
      float[] sumGC) {
    if (SIMD) {
      LaneVectors.gradientSums(l, g, x, samples, centre, sumG, sumGC);
      return;
    }
    for (int i = 0; i < samples * l.sampleLength(); i++) {
      int j = lane(l, i % l.sampleLength());
      sumG[j] += g[i];
      sumGC[j] += g[i] * (x[i] - centre[j]);
    }
  }

  /** {@code x = activation(x * a + b)}, in place. */
  static void affineActivate(
      LaneLayout l, float[] x, int samples, float[] a, float[] b, int activation) {
    if (SIMD) {
      LaneVectors.affineActivate(l, x, samples, a, b, activation);
      return;
    }
    for (int i = 0; i < samples * l.sampleLength(); i++) {
      int j = lane(l, i % l.sampleLength());
      x[i] = activate(x[i] * a[j] + b[j], activation);
    }
  }

  /** {@code g *= activation'(x * a + b)}, in place; nothing for the identity. */
  static void activationGradient(
      LaneLayout l, float[] x, float[] g, int samples, float[] a, float[] b, int activation) {
    if (activation == FusedBatchNorm.IDENTITY) {
      return;
    }
    if (SIMD) {
      LaneVectors.activationGradient(l, x, g, samples, a, b, activation);
      return;
    }
    for (int i = 0; i < samples * l.sampleLength(); i++) {
      int j = lane(l, i % l.sampleLength());
      g[i] = gradient(x[i] * a[j] + b[j], g[i], activation);
    }
  }

  /** {@code x = g * a + x * k1 + k0}, in place over {@code x}. */
  static void combine(
      LaneLayout l, float[] g, float[] x, int samples, float[] a, float[] k1, float[] k0) {
    if (SIMD) {
      LaneVectors.combine(l, g, x, samples, a, k1, k0);
      return;
    }
    for (int i = 0; i < samples * l.sampleLength(); i++) {
      int j = lane(l, i % l.sampleLength());
      x[i] = g[i] * a[j] + x[i] * k1[j] + k0[j];
    }
  }

  static float activate(float z, int activation) {
    return switch (activation) {
      case FusedBatchNorm.RELU -> Math.max(z, 0f);
      case FusedBatchNorm.HARD_SWISH -> z * Math.min(Math.max(z + 3f, 0f), 6f) * (1f / 6f);
      default -> z;
    };
  }

  /**
   * {@code g} times the derivative at {@code z}, PyTorch's at the kinks (hard-swish: -1/2 at -3,
   * 3/2 at 3), as {@link FusedBatchNorm#activationGradient} computes it.
   */
  static float gradient(float z, float g, int activation) {
    return switch (activation) {
      case FusedBatchNorm.RELU -> z > 0f ? g : 0f;
      case FusedBatchNorm.HARD_SWISH -> z < -3f ? 0f : z > 3f ? g : g * (z * (1f / 3f) + 0.5f);
      default -> g;
    };
  }
}
