package org.parameternet.model.layers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link LaneKernels} in SIMD: a period is a whole number of vectors, so vector {@code k} of every
 * period meets the same channels, and one vector of per-channel values (or of lane sums) serves
 * them all. The sums walk one vector position through every period, keeping the accumulators in
 * registers; the element-wise loops walk the periods in order. The tail (less than a period) runs
 * on the scalar loop. Only loaded when {@link VectorKernels#available()}.
 */
final class LaneVectors {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_256;
  private static final int LANES = SPECIES.length();

  static {
    if (LANES != LaneKernels.LANES) {
      throw new IllegalStateException("periods are built for " + LaneKernels.LANES + " lanes");
    }
  }

  private LaneVectors() {}

  static void sums(float[] x, int off, int len, float[] shift, float[] sum, float[] squares) {
    int period = sum.length;
    int end = off + len / period * period;
    for (int k = 0; k < period; k += LANES) {
      FloatVector by = FloatVector.fromArray(SPECIES, shift, k);
      FloatVector s = FloatVector.zero(SPECIES);
      FloatVector q = FloatVector.zero(SPECIES);
      for (int i = off + k; i < end; i += period) {
        FloatVector v = FloatVector.fromArray(SPECIES, x, i).sub(by);
        s = s.add(v);
        q = v.fma(v, q);
      }
      s.add(FloatVector.fromArray(SPECIES, sum, k)).intoArray(sum, k);
      if (squares != null) {
        q.add(FloatVector.fromArray(SPECIES, squares, k)).intoArray(squares, k);
      }
    }
    for (int i = end; i < off + len; i++) {
      int j = (i - off) % period;
      float v = x[i] - shift[j];
      sum[j] += v;
      if (squares != null) {
        squares[j] += v * v;
      }
    }
  }

  static void gradientSums(
      float[] g, float[] x, int off, int len, float[] centre, float[] sumG, float[] sumGC) {
    int period = sumGC.length;
    int end = off + len / period * period;
    for (int k = 0; k < period; k += LANES) {
      FloatVector m = FloatVector.fromArray(SPECIES, centre, k);
      FloatVector t = FloatVector.zero(SPECIES);
      FloatVector c = FloatVector.zero(SPECIES);
      for (int i = off + k; i < end; i += period) {
        FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
        t = t.add(gv);
        c = FloatVector.fromArray(SPECIES, x, i).sub(m).fma(gv, c);
      }
      if (sumG != null) {
        t.add(FloatVector.fromArray(SPECIES, sumG, k)).intoArray(sumG, k);
      }
      c.add(FloatVector.fromArray(SPECIES, sumGC, k)).intoArray(sumGC, k);
    }
    for (int i = end; i < off + len; i++) {
      int j = (i - off) % period;
      if (sumG != null) {
        sumG[j] += g[i];
      }
      sumGC[j] += g[i] * (x[i] - centre[j]);
    }
  }

  static void affineActivate(float[] x, int off, int len, float[] a, float[] b, int activation) {
    int period = a.length;
    int end = off + len / period * period;
    for (int s = off; s < end; s += period) {
      for (int k = 0; k < period; k += LANES) {
        FloatVector z =
            FloatVector.fromArray(SPECIES, x, s + k)
                .mul(FloatVector.fromArray(SPECIES, a, k))
                .add(FloatVector.fromArray(SPECIES, b, k));
        activate(z, activation).intoArray(x, s + k);
      }
    }
    for (int i = end; i < off + len; i++) {
      int j = (i - off) % period;
      x[i] = LaneKernels.activate(x[i] * a[j] + b[j], activation);
    }
  }

  private static FloatVector activate(FloatVector z, int activation) {
    return switch (activation) {
      case FusedBatchNorm.RELU -> z.max(0f);
      case FusedBatchNorm.HARD_SWISH -> z.mul(z.add(3f).max(0f).min(6f)).mul(1f / 6f);
      default -> z;
    };
  }

  static void activationGradient(
      float[] x, float[] g, int off, int len, float[] a, float[] b, int activation) {
    int period = a.length;
    int end = off + len / period * period;
    boolean relu = activation == FusedBatchNorm.RELU;
    for (int s = off; s < end; s += period) {
      for (int k = 0; k < period; k += LANES) {
        FloatVector z =
            FloatVector.fromArray(SPECIES, x, s + k)
                .mul(FloatVector.fromArray(SPECIES, a, k))
                .add(FloatVector.fromArray(SPECIES, b, k));
        FloatVector gv = FloatVector.fromArray(SPECIES, g, s + k);
        FloatVector out =
            relu
                ? gv.blend(0f, z.compare(VectorOperators.GT, 0f).not())
                : gv.mul(z.mul(1f / 3f).add(0.5f))
                    .blend(gv, z.compare(VectorOperators.GT, 3f))
                    .blend(0f, z.compare(VectorOperators.LT, -3f));
        out.intoArray(g, s + k);
      }
    }
    for (int i = end; i < off + len; i++) {
      int j = (i - off) % period;
      g[i] = LaneKernels.gradient(x[i] * a[j] + b[j], g[i], activation);
    }
  }

  static void combine(float[] g, float[] x, int off, int len, float[] a, float[] k1, float[] k0) {
    int period = a.length;
    int end = off + len / period * period;
    for (int s = off; s < end; s += period) {
      for (int k = 0; k < period; k += LANES) {
        FloatVector.fromArray(SPECIES, g, s + k)
            .mul(FloatVector.fromArray(SPECIES, a, k))
            .add(
                FloatVector.fromArray(SPECIES, x, s + k).mul(FloatVector.fromArray(SPECIES, k1, k)))
            .add(FloatVector.fromArray(SPECIES, k0, k))
            .intoArray(x, s + k);
      }
    }
    for (int i = end; i < off + len; i++) {
      int j = (i - off) % period;
      x[i] = g[i] * a[j] + x[i] * k1[j] + k0[j];
    }
  }
}
