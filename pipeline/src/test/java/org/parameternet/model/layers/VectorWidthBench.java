package org.parameternet.model.layers;

import java.util.Arrays;
import java.util.Random;

/**
 * Nanoseconds per call of the SIMD kernels, one thread, at the vector width this JVM runs with
 * ({@code -Dpnet.vector.bits=256|512|preferred}): {@link PlaneDepthwise}'s forward and both
 * gradients of one plane, and {@link VectorBatchNorm}'s loops over one plane, on the plane sizes of
 * the models' layers. No JUnit; run with the test classpath (tools/native-bench.sh's set-up), once
 * per width, alternating. Each row warms up for {@code warmupMs}, then prints the median of 7 timed
 * blocks of about 100 ms.
 *
 * <p>Arguments: {@code [warmupMs]} (default 2000).
 */
public final class VectorWidthBench {
  private static volatile float sink;

  private VectorWidthBench() {}

  public static void main(String[] args) {
    long warmupMs = args.length > 0 ? Long.parseLong(args[0]) : 2000;
    System.out.printf(
        "vector bits %d (preferred %d)%n", VectorKernels.bits(), VectorProbe.preferredBits());
    int[][] convs = {
      {112, 112, 3, 2}, {56, 56, 3, 1}, {56, 56, 5, 2}, {28, 28, 3, 2}, {14, 14, 5, 2},
      {14, 14, 3, 1}, {32, 32, 3, 2}, {16, 16, 5, 2}, {8, 8, 3, 1}, {7, 7, 5, 1}
    };
    for (int[] c : convs) {
      depthwise(c[0], c[1], c[2], c[3], warmupMs);
    }
    for (int n : new int[] {12544, 3136, 784, 196, 1024, 256, 64, 49}) {
      batchNorm(n, warmupMs);
    }
    System.out.println("sink " + sink);
  }

  private static void depthwise(int h, int w, int k, int stride, long warmupMs) {
    DepthwiseShape s = new DepthwiseShape(h, w, k, stride, k / 2);
    Random random = new Random(1);
    float[] in = random(random, h * w);
    float[] kernel = random(random, k * k);
    float[] outGrad = random(random, s.outPlane());
    float[] phased = new float[s.phasedSize()];
    float[] out = new float[s.flat];
    float[] padded = new float[s.gradSize()];
    float[] kernelGrad = new float[k * k];
    float[] phasedGrad = new float[s.phasedSize()];
    int[] offsets = new int[k * k];
    float[] weights = new float[k * k];
    String name = h + "x" + w + " k" + k + " s" + stride;
    time(
        "dw fwd " + name,
        warmupMs,
        () -> {
          PlaneDepthwise.phase(in, s, phased);
          PlaneDepthwise.forward(phased, kernel, 0, s, out);
          PlaneDepthwise.compact(out, s);
          sink += out[0];
        });
    time(
        "dw bwd " + name,
        warmupMs,
        () -> {
          PlaneDepthwise.padGradient(outGrad, s, padded);
          PlaneDepthwise.kernelGradient(phased, padded, s, kernelGrad, 0);
          PlaneDepthwise.inputGradient(padded, kernel, 0, s, phasedGrad, offsets, weights);
          PlaneDepthwise.unphase(phasedGrad, s, in);
          sink += kernelGrad[0];
        });
  }

  private static void batchNorm(int n, long warmupMs) {
    Random random = new Random(2);
    float[] x = random(random, n);
    float[] g = random(random, n);
    float[] gCopy = Arrays.copyOf(g, n);
    float[] sums = new float[2];
    time(
        "bn sums n=" + n,
        warmupMs,
        () -> {
          VectorBatchNorm.shiftedSums(x, n, 0.1f, sums);
          VectorBatchNorm.gradientSums(g, x, n, 0.1f, sums);
          sink += sums[1];
        });
    time(
        "bn hswish' n=" + n,
        warmupMs,
        () -> {
          System.arraycopy(gCopy, 0, g, 0, n);
          VectorBatchNorm.hardSwishGradient(x, g, n, 1.5f, 0.2f);
          VectorBatchNorm.reluGradient(x, g, n, 1.5f, 0.2f);
          sink += g[0];
        });
  }

  private static void time(String name, long warmupMs, Runnable body) {
    long end = System.nanoTime() + warmupMs * 1_000_000;
    long calls = 0;
    while (System.nanoTime() < end) {
      body.run();
      calls++;
    }
    long perBlock = Math.max(1, calls * 100 / Math.max(1, warmupMs));
    double[] ns = new double[7];
    for (int b = 0; b < ns.length; b++) {
      long start = System.nanoTime();
      for (long i = 0; i < perBlock; i++) {
        body.run();
      }
      ns[b] = (System.nanoTime() - start) / (double) perBlock;
    }
    Arrays.sort(ns);
    System.out.printf("%-26s %10.1f ns  (min %.1f, max %.1f)%n", name, ns[3], ns[0], ns[6]);
  }

  private static float[] random(Random random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
    }
    return a;
  }
}
