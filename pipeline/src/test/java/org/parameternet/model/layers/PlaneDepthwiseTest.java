package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java strided depthwise kernels against a direct double-precision evaluation of the
 * convolution's definition, for odd and even planes, kernels 3 and 5, strides 2 and 3.
 */
class PlaneDepthwiseTest {
  @ParameterizedTest
  @CsvSource({
    "9, 9, 3, 2, 1",
    "12, 10, 3, 2, 1",
    "13, 13, 5, 2, 2",
    "14, 11, 5, 3, 2",
    "7, 8, 3, 3, 0"
  })
  void matchesTheDefinitionForwardAndBackward(int h, int w, int k, int stride, int pad) {
    int outH = (h + 2 * pad - k) / stride + 1;
    int outW = (w + 2 * pad - k) / stride + 1;
    PlaneDepthwise.Shape s = new PlaneDepthwise.Shape(h, w, outH, outW, k, stride, pad);
    Random random = new Random(h * 31 + w);
    float[] in = random(random, h * w);
    float[] kernel = random(random, k * k);
    float[] outGrad = random(random, outH * outW);

    float[] out = new float[outH * outW];
    PlaneDepthwise.forward(in, kernel, s, out);
    float[] inGrad = new float[h * w];
    float[] kernelGrad = new float[k * k];
    PlaneDepthwise.backward(in, kernel, outGrad, s, inGrad, kernelGrad);

    double[] expectedOut = new double[outH * outW];
    double[] expectedIn = new double[h * w];
    double[] expectedKernel = new double[k * k];
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
            expectedKernel[ky * k + kx] += (double) in[iy * w + ix] * outGrad[oy * outW + ox];
          }
        }
      }
    }
    assertClose(expectedOut, out, "output");
    assertClose(expectedIn, inGrad, "input gradient");
    assertClose(expectedKernel, kernelGrad, "kernel gradient");
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
