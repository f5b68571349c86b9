package org.parameternet.model.layers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The inner loops of {@link FusedBatchNorm} that C2 leaves scalar, in SIMD: float sums (C2 does not
 * reorder a float reduction, so it cannot vectorise one) and the activations' derivatives
 * (branches). On a 56x56 plane in cache: the shifted sum and sum of squares 0.56 to 0.15 ns an
 * element, hard-swish's derivative 1.0 to 0.18. Only loaded when {@link VectorKernels#available()}.
 */
final class VectorBatchNorm {
  private static final VectorSpecies<Float> SPECIES = VectorWidth.SPECIES;
  private static final int LANES = VectorWidth.LANES;

  private VectorBatchNorm() {}

  /** {@code sums[0] = sum(v - shift)}, {@code sums[1] = sum((v - shift)^2)} over v[0, n). */
  static void shiftedSums(float[] v, int n, float shift, float[] sums) {
    shiftedSums(v, 0, n, shift, sums);
  }

  /** {@link #shiftedSums(float[], int, float, float[])} over v[from, from + n). */
  static void shiftedSums(float[] v, int from, int n, float shift, float[] sums) {
    FloatVector sum = FloatVector.zero(SPECIES);
    FloatVector squares = FloatVector.zero(SPECIES);
    FloatVector by = FloatVector.broadcast(SPECIES, shift);
    int end = from + n;
    int i = from;
    for (; i <= end - LANES; i += LANES) {
      FloatVector x = FloatVector.fromArray(SPECIES, v, i).sub(by);
      sum = sum.add(x);
      squares = x.fma(x, squares);
    }
    float s = sum.reduceLanes(VectorOperators.ADD);
    float q = squares.reduceLanes(VectorOperators.ADD);
    for (; i < end; i++) {
      float x = v[i] - shift;
      s += x;
      q += x * x;
    }
    sums[0] = s;
    sums[1] = q;
  }

  /** {@code sum(v)} over v[from, from + n). */
  static float sum(float[] v, int from, int n) {
    FloatVector sum = FloatVector.zero(SPECIES);
    int end = from + n;
    int i = from;
    for (; i <= end - LANES; i += LANES) {
      sum = sum.add(FloatVector.fromArray(SPECIES, v, i));
    }
    float s = sum.reduceLanes(VectorOperators.ADD);
    for (; i < end; i++) {
      s += v[i];
    }
    return s;
  }

  /** {@code sums[0] = sum(g)}, {@code sums[1] = sum(g * (v - mean))} over [0, n). */
  static void gradientSums(float[] g, float[] v, int n, float mean, float[] sums) {
    gradientSums(g, v, 0, n, mean, sums);
  }

  /** {@link #gradientSums(float[], float[], int, float, float[])} over [from, from + n). */
  static void gradientSums(float[] g, float[] v, int from, int n, float mean, float[] sums) {
    FloatVector total = FloatVector.zero(SPECIES);
    FloatVector centred = FloatVector.zero(SPECIES);
    FloatVector m = FloatVector.broadcast(SPECIES, mean);
    int end = from + n;
    int i = from;
    for (; i <= end - LANES; i += LANES) {
      FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
      total = total.add(gv);
      centred = FloatVector.fromArray(SPECIES, v, i).sub(m).fma(gv, centred);
    }
    float t = total.reduceLanes(VectorOperators.ADD);
    float c = centred.reduceLanes(VectorOperators.ADD);
    for (; i < end; i++) {
      t += g[i];
      c += g[i] * (v[i] - mean);
    }
    sums[0] = t;
    sums[1] = c;
  }

  /**
   * {@code g[i] *= relu'(x[i] * a + b)}: zero unless the pre-activation is positive (NaN included,
   * as the scalar loop does). The pre-activation is rounded as the forward pass rounds it (a
   * multiply, then an add; not a fused multiply-add), so the mask agrees with the output at zero.
   */
  static void reluGradient(float[] x, float[] g, int n, float a, float b) {
    FloatVector av = FloatVector.broadcast(SPECIES, a);
    FloatVector bv = FloatVector.broadcast(SPECIES, b);
    int i = 0;
    for (; i <= n - LANES; i += LANES) {
      FloatVector z = FloatVector.fromArray(SPECIES, x, i).mul(av).add(bv);
      FloatVector.fromArray(SPECIES, g, i)
          .blend(0f, z.compare(VectorOperators.GT, 0f).not())
          .intoArray(g, i);
    }
    for (; i < n; i++) {
      g[i] = x[i] * a + b > 0f ? g[i] : 0f;
    }
  }

  /**
   * {@code g[i] *= hardswish'(z)} at {@code z = x[i] * a + b} (rounded as the forward pass rounds
   * it): 0 below -3, 1 above 3, {@code z / 3 + 1/2} between (PyTorch's choices at the kinks); NaN
   * where z is NaN, as the scalar loop gives.
   */
  static void hardSwishGradient(float[] x, float[] g, int n, float a, float b) {
    FloatVector av = FloatVector.broadcast(SPECIES, a);
    FloatVector bv = FloatVector.broadcast(SPECIES, b);
    int i = 0;
    for (; i <= n - LANES; i += LANES) {
      FloatVector z = FloatVector.fromArray(SPECIES, x, i).mul(av).add(bv);
      FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
      gv.mul(z.mul(1f / 3f).add(0.5f))
          .blend(gv, z.compare(VectorOperators.GT, 3f))
          .blend(0f, z.compare(VectorOperators.LT, -3f))
          .intoArray(g, i);
    }
    for (; i < n; i++) {
      float z = x[i] * a + b;
      g[i] = z < -3f ? 0f : z > 3f ? g[i] : g[i] * (z * (1f / 3f) + 0.5f);
    }
  }
}
