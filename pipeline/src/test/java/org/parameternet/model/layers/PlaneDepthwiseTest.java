package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The SIMD depthwise kernels against a direct double-precision evaluation of the convolution's
 * definition: odd and even planes, planes narrower than a vector and not a whole number of vectors
 * wide, kernels 1, 2, 3 and 5, strides 1 to 4, padding beyond half the kernel, strides that leave
 * input rows and columns unread.
 */
class PlaneDepthwiseTest {
  @BeforeAll
  static void vectorApiPresent() {
    // The build's test JVMs run with --add-modules=jdk.incubator.vector (the root pom's
    // java17.flags); without it these kernels would never run in training.
    Assertions.assertTrue(VectorKernels.available());
  }

  @ParameterizedTest
  @CsvSource({
    "9, 9, 3, 2, 1",
    "12, 10, 3, 2, 1",
    "13, 13, 5, 2, 2",
    "14, 11, 5, 3, 2",
    "7, 8, 3, 3, 0",
    "8, 98, 3, 3, 0",
    "56, 56, 3, 1, 1",
    "7, 7, 3, 1, 1",
    "5, 17, 5, 1, 2",
    "3, 3, 5, 1, 2",
    "10, 9, 1, 1, 0",
    "11, 24, 3, 1, 0",
    "8, 9, 5, 2, 0",
    "28, 28, 3, 2, 1",
    "14, 14, 5, 2, 2",
    "2, 2, 3, 1, 1",
    "9, 9, 3, 1, 3",
    "8, 8, 2, 2, 1",
    "9, 9, 3, 4, 1"
  })
  void matchesTheDefinitionForwardAndBackward(int h, int w, int k, int stride, int pad) {
    int outH = (h + 2 * pad - k) / stride + 1;
    int outW = (w + 2 * pad - k) / stride + 1;
    DepthwiseShape s = new DepthwiseShape(h, w, k, stride, pad);
    Random random = new Random(h * 31 + w);
    float[] in = random(random, h * w);
    float[] kernel = random(random, k * k);
    float[] outGrad = random(random, outH * outW);

    // The kernel sits at an offset in a longer array, as a dynamic conv's per-sample kernels do,
    // and the scratch arrays start dirty, as a reused thread's do.
    int at = 2 * k * k;
    float[] kernels = random(random, 4 * k * k);
    System.arraycopy(kernel, 0, kernels, at, k * k);
    float[] phased = random(random, s.phasedSize());
    PlaneDepthwise.phase(in, s, phased);
    float[] lanes = random(random, s.flat);
    PlaneDepthwise.forward(phased, kernels, at, s, lanes);
    PlaneDepthwise.compact(lanes, s);
    float[] out = Arrays.copyOf(lanes, outH * outW);
    float[] paddedGrad = random(random, s.gradSize());
    PlaneDepthwise.padGradient(outGrad, s, paddedGrad);
    float[] kernelGrads = new float[4 * k * k];
    kernelGrads[at - 1] = 7f; // a neighbour's gradient, which must stay as it is
    PlaneDepthwise.kernelGradient(phased, paddedGrad, s, kernelGrads, at);
    float[] kernelGrad = Arrays.copyOfRange(kernelGrads, at, at + k * k);
    assertEquals(7f, kernelGrads[at - 1]);
    float[] phasedGrad = random(random, s.phasedSize());
    PlaneDepthwise.inputGradient(
        paddedGrad, kernels, at, s, phasedGrad, new int[k * k], new float[k * k]);
    float[] inGrad = random(random, h * w);
    PlaneDepthwise.unphase(phasedGrad, s, inGrad);

    double[] expectedOut = new double[outH * outW];
    double[] expectedIn = new double[h * w];
    double[] expectedKernel = new double[k * k];
    double[] kernelMagnitude =
        new double[k * k]; // the sum of |products|: what rounding scales with
    for (int oy = 0; oy < outH; oy++) {
      for (int ox = 0; ox < outW; ox++) {
        for (int ky = 0; ky < k; ky++) {
          for (int kx = 0; kx < k; kx++) {
            int iy = oy * stride + ky - pad;
            int ix = ox * stride + kx - pad;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
              continue; // zero padding
            }
            expectedOut[oy * outW + ox] += (double) kernel[ky * k + kx] * in[iy * w + ix];
            expectedIn[iy * w + ix] += (double) kernel[ky * k + kx] * outGrad[oy * outW + ox];
            double product = (double) in[iy * w + ix] * outGrad[oy * outW + ox];
            expectedKernel[ky * k + kx] += product;
            kernelMagnitude[ky * k + kx] += Math.abs(product);
          }
        }
      }
    }
    assertClose(expectedOut, out, "output");
    assertClose(expectedIn, inGrad, "input gradient");
    // A kernel's gradient sums up to 3,136 products here, in float32 and another order.
    for (int t = 0; t < k * k; t++) {
      assertEquals(
          expectedKernel[t],
          kernelGrad[t],
          1e-6 * (1 + kernelMagnitude[t]),
          "kernel gradient " + t);
    }
  }

  private static float[] random(Random random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
    }
    return a;
  }

  private static void assertClose(double[] expected, float[] actual, String what) {
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), what + " at " + i);
    }
  }
}
