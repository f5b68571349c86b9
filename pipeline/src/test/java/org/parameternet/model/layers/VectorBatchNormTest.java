package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VectorBatchNorm}'s loops against scalar ones, at the width this JVM runs them ({@code
 * pnet.vector.bits}; the build runs this class at 256 bits and at the CPU's widest): lengths below
 * one vector, at and around whole 256- and 512-bit vectors, and longer with a tail, so that every
 * length mixes whole vectors and a scalar remainder at either width.
 */
class VectorBatchNormTest {
  @BeforeAll
  static void vectorApiPresent() {
    assertTrue(VectorKernels.available());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 63, 100, 3137})
  void matchScalarLoops(int n) {
    Random random = new Random(n);
    float[] v = new float[n];
    float[] g = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextGaussian() * 3 + 1);
      g[i] = (float) random.nextGaussian();
    }
    // the activations' kinks and a NaN, where the lanes and the remainder must agree
    if (n > 5) {
      v[n - 1] = Float.NaN;
      v[n - 2] = (3f - 0.2f) / 1.5f;
      v[n / 2] = (-0.2f) / 1.5f;
    }

    float[] sums = new float[2];
    VectorBatchNorm.shiftedSums(v, n, 0.5f, sums);
    double s = 0;
    double q = 0;
    double magnitude = 0;
    for (int i = 0; i < n; i++) {
      double x = v[i] - 0.5f;
      s += x;
      q += x * x;
      magnitude += Math.abs(x);
    }
    assertSame(s, sums[0], magnitude, "sum");
    assertSame(q, sums[1], q, "sum of squares");

    VectorBatchNorm.gradientSums(g, v, n, 0.5f, sums);
    double t = 0;
    double c = 0;
    double cMagnitude = 0;
    for (int i = 0; i < n; i++) {
      t += g[i];
      c += (double) g[i] * (v[i] - 0.5f);
      cMagnitude += Math.abs((double) g[i] * (v[i] - 0.5f));
    }
    assertSame(t, sums[0], n, "gradient sum");
    assertSame(c, sums[1], cMagnitude, "centred gradient sum");

    float[] relu = g.clone();
    VectorBatchNorm.reluGradient(v, relu, n, 1.5f, 0.2f);
    float[] swish = g.clone();
    VectorBatchNorm.hardSwishGradient(v, swish, n, 1.5f, 0.2f);
    for (int i = 0; i < n; i++) {
      float z = v[i] * 1.5f + 0.2f;
      assertEquals(z > 0f ? g[i] : 0f, relu[i], "relu' at " + i);
      float expected = z < -3f ? 0f : z > 3f ? g[i] : g[i] * (z * (1f / 3f) + 0.5f);
      assertEquals(expected, swish[i], "hard-swish' at " + i);
    }
  }

  private static void assertSame(double expected, float actual, double magnitude, String what) {
    if (Double.isNaN(expected)) {
      assertTrue(Float.isNaN(actual), what + " is NaN");
      return;
    }
    assertEquals(expected, actual, 1e-6 * (1 + magnitude), what);
  }
}
