package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parameternet.model.layers.DnnlConv.Geometry;

/**
 * One {@link DnnlDynamicConv} in a program of its own against a double-precision reference written
 * from the definition (routing {@code sigmoid(pool(x) RW + Rb)}, per-sample kernels mixed from the
 * experts, each sample's conv), forward and every gradient: input, experts, routing weight and
 * bias. 1x1 (its input gradient either way) and depthwise (3x3, 5x5, stride 1 and 2, odd planes),
 * batch 1 and more.
 */
class DnnlDynamicConvTest {
  private static final String PREFIX = "c-";

  @ParameterizedTest(name = "depthwise {0}, in {1}, out {2}, k{3} s{4}, {5}x{6}, batch {7}")
  @CsvSource({
    "false, 12, 20, 1, 1, 7, 5, 3",
    "false, 8, 8, 1, 1, 4, 4, 1",
    "false, 24, 20, 1, 1, 2, 2, 3",
    "true, 10, 10, 3, 1, 6, 7, 3",
    "true, 12, 12, 3, 1, 2, 2, 4",
    "true, 8, 8, 5, 2, 9, 8, 2",
    "true, 16, 16, 3, 2, 8, 8, 1"
  })
  void matchesTheDefinition(
      boolean depthwise, int in, int out, int kernel, int stride, int h, int w, int batch) {
    int experts = 4;
    Geometry g = depthwise ? Geometry.depthwise(in, kernel, stride) : Geometry.pointwise(in, out);
    Reference ref = new Reference(g, experts, batch, h, w, new SplittableRandom(7));
    long[] inDims = {batch, in, h, w};
    long[] outDims = {batch, g.out(), ref.outH, ref.outW};
    try (DnnlProgram p = new DnnlProgram(true, false)) {
      memory x = p.bound(p.desc(inDims, memory.format_tag.nchw), "x");
      DnnlDynamicConv conv = new DnnlDynamicConv(p, g, experts, inDims, PREFIX);
      memory y = conv.forward(x, null);
      p.reorder(p.forward, y, p.bound(p.desc(outDims, memory.format_tag.nchw), "y"), false);
      memory dy = p.bound(p.desc(outDims, memory.format_tag.nchw), "dy");
      memory dx = conv.backward(dy);
      p.reorder(p.backward, dx, p.bound(p.desc(inDims, memory.format_tag.nchw), "dx"), false);

      Map<String, FloatPointer> buffers = new HashMap<>();
      buffers.put("x", floats(ref.x));
      buffers.put("dy", floats(ref.dy));
      buffers.put(PREFIX + "W", floats(ref.experts));
      buffers.put(PREFIX + "RW", floats(ref.routingWeight));
      buffers.put(PREFIX + "Rb", floats(ref.routingBias));
      buffers.put("y", new FloatPointer(ref.y.length));
      buffers.put("dx", new FloatPointer(ref.x.length));
      for (String key : new String[] {"W", "RW", "Rb"}) {
        long n = buffers.get(PREFIX + key).capacity();
        buffers.put(BottleneckPlan.gradient(PREFIX + key), new FloatPointer(n));
      }
      buffers.forEach(p::bind);
      p.run(p.forward);
      p.run(p.backward);

      assertClose("output", ref.y, buffers.get("y"));
      assertClose("input gradient", ref.dx, buffers.get("dx"));
      assertClose("experts' gradient", ref.dExperts, buffers.get("d:" + PREFIX + "W"));
      assertClose(
          "routing weight's gradient", ref.dRoutingWeight, buffers.get("d:" + PREFIX + "RW"));
      assertClose("routing bias' gradient", ref.dRoutingBias, buffers.get("d:" + PREFIX + "Rb"));
      // a folded depthwise conv's weight and data gradients share one reorder of dy, if any;
      // where oneDNN has only its gemm weight gradient (strided, planes smaller than the kernel)
      // the weight gradient is Java's, on an NHWC copy of its own
      boolean javaWeightGradient = stride > 1 || h < kernel || w < kernel;
      int allowed = depthwise && javaWeightGradient ? 2 : 1;
      assertTrue(
          p.reordersOf("dy") <= allowed, p.reordersOf("dy") + " reorders of the output gradient");
    }
  }

  /**
   * A dynamic 1x1 conv's input gradient either way ({@link
   * KernelPolicy#dynamicInputGradientByPlanes}), at a shape where the default takes each and one
   * with a single sample.
   */
  @ParameterizedTest(name = "{0}: in {1}, out {2}, {3}x{4}, batch {5}")
  @CsvSource({
    "kernel, 24, 20, 2, 2, 3",
    "planes, 24, 20, 2, 2, 3",
    "kernel, 12, 20, 7, 5, 3",
    "planes, 12, 20, 7, 5, 3",
    "planes, 16, 8, 3, 3, 1"
  })
  void pointwiseInputGradientEitherWay(String way, int in, int out, int h, int w, int batch) {
    SystemProperties.with(
        KernelPolicy.NATIVE_DYNAMIC_DX,
        way,
        () -> matchesTheDefinition(false, in, out, 1, 1, h, w, batch));
  }

  private static FloatPointer floats(double[] values) {
    FloatPointer p = new FloatPointer(values.length);
    for (int i = 0; i < values.length; i++) {
      p.put(i, (float) values[i]);
    }
    return p;
  }

  /** Within 1e-5 of the largest expected magnitude. */
  private static void assertClose(String what, double[] expected, FloatPointer actual) {
    double largest = 0;
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      largest = Math.max(largest, Math.abs(expected[i]));
      worst = Math.max(worst, Math.abs(expected[i] - actual.get(i)));
    }
    assertTrue(
        worst <= 1e-5 * largest, what + ": max difference " + worst + " of largest " + largest);
  }

  /** The dynamic conv from its definition, in double precision. */
  private static final class Reference {
    final int batch;
    final int in;
    final int out;
    final int k;
    final int stride;
    final int h;
    final int w;
    final int outH;
    final int outW;
    final int m;
    final boolean depthwise;
    final double[] x;
    final double[] experts;
    final double[] routingWeight;
    final double[] routingBias;
    final double[] dy;
    final double[] y;
    final double[] dx;
    final double[] dExperts;
    final double[] dRoutingWeight;
    final double[] dRoutingBias;

    Reference(Geometry g, int m, int batch, int h, int w, SplittableRandom random) {
      this.batch = batch;
      this.in = g.in();
      this.out = g.out();
      this.k = g.kernel();
      this.stride = g.stride();
      this.h = h;
      this.w = w;
      this.m = m;
      this.depthwise = g.depthwise();
      int pad = k / 2;
      outH = (h + 2 * pad - k) / stride + 1;
      outW = (w + 2 * pad - k) / stride + 1;
      int kernelLength = depthwise ? in * k * k : out * in;
      x = random(random, batch * in * h * w, 1);
      experts = random(random, m * kernelLength, 0.5);
      routingWeight = random(random, in * m, 1);
      routingBias = random(random, m, 0.5);
      dy = random(random, batch * out * outH * outW, 1);
      y = new double[dy.length];
      dx = new double[x.length];
      dExperts = new double[experts.length];
      dRoutingWeight = new double[routingWeight.length];
      dRoutingBias = new double[m];
      run(kernelLength);
    }

    private static double[] random(SplittableRandom random, int n, double scale) {
      double[] v = new double[n];
      for (int i = 0; i < n; i++) {
        v[i] = random.nextDouble(-scale, scale);
      }
      return v;
    }

    private void run(int kernelLength) {
      int plane = h * w;
      for (int b = 0; b < batch; b++) {
        double[] pooled = new double[in];
        for (int c = 0; c < in; c++) {
          for (int i = 0; i < plane; i++) {
            pooled[c] += x[(b * in + c) * plane + i] / plane;
          }
        }
        double[] alpha = new double[m];
        for (int e = 0; e < m; e++) {
          double z = routingBias[e];
          for (int c = 0; c < in; c++) {
            z += pooled[c] * routingWeight[c * m + e];
          }
          alpha[e] = 1 / (1 + Math.exp(-z));
        }
        double[] kernel = new double[kernelLength];
        for (int i = 0; i < kernelLength; i++) {
          for (int e = 0; e < m; e++) {
            kernel[i] += alpha[e] * experts[e * kernelLength + i];
          }
        }
        double[] dKernel = new double[kernelLength];
        conv(b, kernel, dKernel);
        double[] dPooled = new double[in];
        for (int e = 0; e < m; e++) {
          double dAlpha = 0;
          for (int i = 0; i < kernelLength; i++) {
            dExperts[e * kernelLength + i] += alpha[e] * dKernel[i];
            dAlpha += dKernel[i] * experts[e * kernelLength + i];
          }
          double dLogit = dAlpha * alpha[e] * (1 - alpha[e]);
          dRoutingBias[e] += dLogit;
          for (int c = 0; c < in; c++) {
            dRoutingWeight[c * m + e] += pooled[c] * dLogit;
            dPooled[c] += dLogit * routingWeight[c * m + e];
          }
        }
        for (int c = 0; c < in; c++) {
          for (int i = 0; i < plane; i++) {
            dx[(b * in + c) * plane + i] += dPooled[c] / plane;
          }
        }
      }
    }

    /** Sample {@code b}'s conv with {@code kernel}: y, and the conv's part of dx and dKernel. */
    private void conv(int b, double[] kernel, double[] dKernel) {
      int pad = k / 2;
      for (int o = 0; o < out; o++) {
        for (int oy = 0; oy < outH; oy++) {
          for (int ox = 0; ox < outW; ox++) {
            int yi = ((b * out + o) * outH + oy) * outW + ox;
            double sum = 0;
            for (int i = depthwise ? o : 0; i < (depthwise ? o + 1 : in); i++) {
              for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                  int iy = oy * stride + ky - pad;
                  int ix = ox * stride + kx - pad;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                    continue;
                  }
                  int ki = depthwise ? (o * k + ky) * k + kx : o * in + i;
                  int xi = ((b * in + i) * h + iy) * w + ix;
                  sum += kernel[ki] * x[xi];
                  dKernel[ki] += dy[yi] * x[xi];
                  dx[xi] += dy[yi] * kernel[ki];
                }
              }
            }
            y[yi] = sum;
          }
        }
      }
    }
  }
}
