package org.parameternet.model.layers;

/**
 * Per-channel loops over a run of floats whose channels repeat with a period ({@link LaneLayout}):
 * each takes one period of per-channel values ({@code a}, {@code shift}, ...) or accumulates into
 * one period of lane sums, for the run {@code [off, off + len)} that starts at lane 0. They run in
 * SIMD ({@link LaneVectors}) when the JVM has the Vector API; the loops here are the fallback and
 * the definition. Activation codes are {@link FusedBatchNorm}'s, with its rounding: the
 * pre-activation is a multiply, then an add, as the forward pass computes it, so a derivative's
 * kink agrees with the output.
 */
final class LaneKernels {
  /** Floats per SIMD vector the periods are built for (256-bit, as the plane kernels). */
  static final int LANES = 8;

  private static final boolean SIMD = VectorKernels.available();

  private LaneKernels() {}

  /** The period of a run of rows {@code width} floats wide: a whole number of vectors. */
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

  /**
   * {@code sum[j] += x - shift[j]} and, unless {@code squares} is null, {@code squares[j] += (x -
   * shift[j])^2}, over the floats at lane {@code j} of each period.
   */
  static void sums(float[] x, int off, int len, float[] shift, float[] sum, float[] squares) {
    if (SIMD) {
      LaneVectors.sums(x, off, len, shift, sum, squares);
      return;
    }
    int period = sum.length;
    for (int i = 0; i < len; i++) {
      int j = i % period;
      float v = x[off + i] - shift[j];
      sum[j] += v;
      if (squares != null) {
        squares[j] += v * v;
      }
    }
  }

  /** {@code sumG[j] += g} (unless null) and {@code sumGC[j] += g * (x - centre[j])}. */
  static void gradientSums(
      float[] g, float[] x, int off, int len, float[] centre, float[] sumG, float[] sumGC) {
    if (SIMD) {
      LaneVectors.gradientSums(g, x, off, len, centre, sumG, sumGC);
      return;
    }
    int period = sumGC.length;
    for (int i = 0; i < len; i++) {
      int j = i % period;
      float gi = g[off + i];
      if (sumG != null) {
        sumG[j] += gi;
      }
      sumGC[j] += gi * (x[off + i] - centre[j]);
    }
  }

  /** {@code x = activation(x * a[j] + b[j])}, in place. */
  static void affineActivate(float[] x, int off, int len, float[] a, float[] b, int activation) {
    if (SIMD) {
      LaneVectors.affineActivate(x, off, len, a, b, activation);
      return;
    }
    int period = a.length;
    for (int i = 0; i < len; i++) {
      int j = i % period;
      x[off + i] = activate(x[off + i] * a[j] + b[j], activation);
    }
  }

  /** {@code g *= activation'(x * a[j] + b[j])}, in place; nothing for the identity. */
  static void activationGradient(
      float[] x, float[] g, int off, int len, float[] a, float[] b, int activation) {
    if (activation == FusedBatchNorm.IDENTITY) {
      return;
    }
    if (SIMD) {
      LaneVectors.activationGradient(x, g, off, len, a, b, activation);
      return;
    }
    int period = a.length;
    for (int i = 0; i < len; i++) {
      int j = i % period;
      g[off + i] = gradient(x[off + i] * a[j] + b[j], g[off + i], activation);
    }
  }

  /** {@code x = g * a[j] + x * k1[j] + k0[j]}, in place over {@code x}. */
  static void combine(float[] g, float[] x, int off, int len, float[] a, float[] k1, float[] k0) {
    if (SIMD) {
      LaneVectors.combine(g, x, off, len, a, k1, k0);
      return;
    }
    int period = a.length;
    for (int i = 0; i < len; i++) {
      int j = i % period;
      x[off + i] = g[off + i] * a[j] + x[off + i] * k1[j] + k0[j];
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
