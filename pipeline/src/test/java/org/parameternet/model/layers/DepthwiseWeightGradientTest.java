package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java depthwise weight gradient against its definition in double precision, on maps small
 * enough to run on one thread in one part and large enough to be split over the batch (its parts'
 * sums added in order).
 */
class DepthwiseWeightGradientTest {
  @ParameterizedTest
  @CsvSource({
    // batch, channels, height, width, kernel, stride: one part, then split over the batch
    "2, 5, 4, 4, 3, 2",
    "3, 7, 2, 2, 5, 1",
    "8, 40, 28, 28, 3, 1",
    "9, 24, 30, 30, 5, 2"
  })
  void matchesTheDefinition(int batch, int channels, int h, int w, int kernel, int stride) {
    int pad = kernel / 2;
    int oh = (h + 2 * pad - kernel) / stride + 1;
    int ow = (w + 2 * pad - kernel) / stride + 1;
    SplittableRandom random = new SplittableRandom(batch * 31L + channels);
    float[] x = values(random, batch * h * w * channels);
    float[] dy = values(random, batch * oh * ow * channels);
    double[] expected = new double[channels * kernel * kernel];
    for (int n = 0; n < batch; n++) {
      for (int r = 0; r < oh; r++) {
        for (int q = 0; q < ow; q++) {
          for (int i = 0; i < kernel; i++) {
            for (int j = 0; j < kernel; j++) {
              int ih = r * stride + i - pad;
              int iw = q * stride + j - pad;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                continue;
              }
              for (int c = 0; c < channels; c++) {
                expected[(c * kernel + i) * kernel + j] +=
                    (double) dy[((n * oh + r) * ow + q) * channels + c]
                        * x[((n * h + ih) * w + iw) * channels + c];
              }
            }
          }
        }
      }
    }
    long[] inDims = {batch, channels, h, w};
    long[] outDims = {batch, channels, oh, ow};
    try (DnnlProgram p = new DnnlProgram(true, false)) {
      memory in = filled(p, inDims, x);
      memory out = filled(p, outDims, dy);
      memory gradient = p.scratch(DepthwiseWeightGradient.gradientDesc(p, channels, kernel));
      new DepthwiseWeightGradient(inDims, outDims, kernel, stride).run(p.strm, in, out, gradient);
      float[] actual = DnnlProgram.read(gradient);
      double largest = 0;
      for (double e : expected) {
        largest = Math.max(largest, Math.abs(e));
      }
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-5 * largest, "weight gradient " + i);
      }
    }
  }

  private static float[] values(SplittableRandom random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return v;
  }

  private static memory filled(DnnlProgram p, long[] dims, float[] nhwc) {
    memory m = p.scratch(p.desc(dims, memory.format_tag.nhwc));
    new FloatPointer(m.get_data_handle()).capacity(nhwc.length).put(nhwc);
    return m;
  }
}
