package org.parameternet.model.layers;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link LaneKernels} in SIMD. A period is a whole number of vectors, so vector {@code k} of every
 * period of a group meets the same channels, and one vector of per-channel values (or of lane sums)
 * serves them all. The sums walk one vector position through a group's periods, keeping the
 * accumulators in registers; the element-wise loops walk the periods in order. A group's tail (less
 * than a period) runs on the scalar loop. Only loaded when {@link VectorKernels#available()}.
 * Always 256-bit, whatever {@link VectorKernels#BITS_PROPERTY} says: the periods are built for
 * {@link LaneKernels#LANES} lanes.
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

  static void sums(
      LaneLayout l, float[] x, int samples, float[] shift, float[] sum, float[] squares) {
    int period = l.period();
    int full = l.groupLength() / period * period;
    for (int s = 0; s < samples; s++) {
      for (int g = 0; g < l.groups(); g++) {
        int base = s * l.sampleLength() + g * l.groupLength();
        int pat = g * period;
        for (int k = 0; k < period; k += LANES) {
          FloatVector by = FloatVector.fromArray(SPECIES, shift, pat + k);
          FloatVector t = FloatVector.zero(SPECIES);
          FloatVector q = FloatVector.zero(SPECIES);
          for (int i = base + k; i < base + full; i += period) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, i).sub(by);
            t = t.add(v);
            q = v.fma(v, q);
          }
          t.add(FloatVector.fromArray(SPECIES, sum, pat + k)).intoArray(sum, pat + k);
          q.add(FloatVector.fromArray(SPECIES, squares, pat + k)).intoArray(squares, pat + k);
        }
        for (int i = base + full; i < base + l.groupLength(); i++) {
          int j = pat + (i - base) % period;
          float v = x[i] - shift[j];
          sum[j] += v;
          squares[j] += v * v;
        }
      }
    }
  }

  static void gradientSums(
      LaneLayout l,
      float[] g,
      float[] x,
      int samples,
      float[] centre,
      float[] sumG,
      float[] sumGC) {
    int period = l.period();
    int full = l.groupLength() / period * period;
    for (int s = 0; s < samples; s++) {
      for (int group = 0; group < l.groups(); group++) {
        int base = s * l.sampleLength() + group * l.groupLength();
        int pat = group * period;
        for (int k = 0; k < period; k += LANES) {
          FloatVector m = FloatVector.fromArray(SPECIES, centre, pat + k);
          FloatVector t = FloatVector.zero(SPECIES);
          FloatVector c = FloatVector.zero(SPECIES);
          for (int i = base + k; i < base + full; i += period) {
            FloatVector gv = FloatVector.fromArray(SPECIES, g, i);
            t = t.add(gv);
            c = FloatVector.fromArray(SPECIES, x, i).sub(m).fma(gv, c);
          }
          t.add(FloatVector.fromArray(SPECIES, sumG, pat + k)).intoArray(sumG, pat + k);
          c.add(FloatVector.fromArray(SPECIES, sumGC, pat + k)).intoArray(sumGC, pat + k);
        }
        for (int i = base + full; i < base + l.groupLength(); i++) {
          int j = pat + (i - base) % period;
          sumG[j] += g[i];
          sumGC[j] += g[i] * (x[i] - centre[j]);
        }
      }
    }
  }

  static void affineActivate(
      LaneLayout l, float[] x, int samples, float[] a, float[] b, int activation) {
    int period = l.period();
    int full = l.groupLength() / period * period;
    for (int s = 0; s < samples; s++) {
      for (int g = 0; g < l.groups(); g++) {
        int base = s * l.sampleLength() + g * l.groupLength();
        int pat = g * period;
        for (int p = base; p < base + full; p += period) {
          for (int k = 0; k < period; k += LANES) {
            FloatVector z =
                FloatVector.fromArray(SPECIES, x, p + k)
                    .mul(FloatVector.fromArray(SPECIES, a, pat + k))
                    .add(FloatVector.fromArray(SPECIES, b, pat + k));
            activate(z, activation).intoArray(x, p + k);
          }
        }
        for (int i = base + full; i < base + l.groupLength(); i++) {
          int j = pat + (i - base) % period;
          x[i] = LaneKernels.activate(x[i] * a[j] + b[j], activation);
        }
      }
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
      LaneLayout l, float[] x, float[] g, int samples, float[] a, float[] b, int activation) {
    int period = l.period();
    int full = l.groupLength() / period * period;
    boolean relu = activation == FusedBatchNorm.RELU;
    for (int s = 0; s < samples; s++) {
      for (int group = 0; group < l.groups(); group++) {
        int base = s * l.sampleLength() + group * l.groupLength();
        int pat = group * period;
        for (int p = base; p < base + full; p += period) {
          for (int k = 0; k < period; k += LANES) {
            FloatVector z =
                FloatVector.fromArray(SPECIES, x, p + k)
                    .mul(FloatVector.fromArray(SPECIES, a, pat + k))
                    .add(FloatVector.fromArray(SPECIES, b, pat + k));
            FloatVector gv = FloatVector.fromArray(SPECIES, g, p + k);
            FloatVector out =
                relu
                    ? gv.blend(0f, z.compare(VectorOperators.GT, 0f).not())
                    : gv.mul(z.mul(1f / 3f).add(0.5f))
                        .blend(gv, z.compare(VectorOperators.GT, 3f))
                        .blend(0f, z.compare(VectorOperators.LT, -3f));
            out.intoArray(g, p + k);
          }
        }
        for (int i = base + full; i < base + l.groupLength(); i++) {
          int j = pat + (i - base) % period;
          g[i] = LaneKernels.gradient(x[i] * a[j] + b[j], g[i], activation);
        }
      }
    }
  }

  static void combine(
      LaneLayout l, float[] g, float[] x, int samples, float[] a, float[] k1, float[] k0) {
    int period = l.period();
    int full = l.groupLength() / period * period;
    for (int s = 0; s < samples; s++) {
      for (int group = 0; group < l.groups(); group++) {
        int base = s * l.sampleLength() + group * l.groupLength();
        int pat = group * period;
        for (int p = base; p < base + full; p += period) {
          for (int k = 0; k < period; k += LANES) {
            FloatVector.fromArray(SPECIES, g, p + k)
                .mul(FloatVector.fromArray(SPECIES, a, pat + k))
                .add(
                    FloatVector.fromArray(SPECIES, x, p + k)
                        .mul(FloatVector.fromArray(SPECIES, k1, pat + k)))
                .add(FloatVector.fromArray(SPECIES, k0, pat + k))
                .intoArray(x, p + k);
          }
        }
        for (int i = base + full; i < base + l.groupLength(); i++) {
          int j = pat + (i - base) % period;
          x[i] = g[i] * a[j] + x[i] * k1[j] + k0[j];
        }
      }
    }
  }
}
