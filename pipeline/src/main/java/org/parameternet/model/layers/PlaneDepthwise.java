package org.parameternet.model.layers;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A depthwise convolution of one plane on Java arrays (float32, one k x k kernel, zero padding, any
 * stride): forward, input gradient and kernel gradient, in SIMD through the Vector API.
 *
 * <p>Why: libnd4j hands depthwise convs to oneDNN, which reorders the whole NCHW tensor to a
 * blocked layout and back on every call and both passes (its strided ones ran at about 1 GMAC/s
 * here). Plain Java loops over the planes cannot replace it: C2 in JDK 17 does not vectorise {@code
 * out[o + x] += w * in[i + x]} when the offsets differ (2.4 GFMA/s against 10.6 with equal ones),
 * and a conv's taps are exactly such offsets. The Vector API's explicit lanes do.
 *
 * <p>How: {@link DepthwiseShape}'s phase planes make every tap a constant offset, so the forward
 * pass is one loop over the plane with the taps' sums in a register, the kernel gradient one dot
 * product per tap, and the input gradient one loop per phase. No loop has a scalar tail: the arrays
 * are padded to whole vectors with zeros.
 *
 * <p>Only loaded when {@link VectorKernels#available()}; the JVM must run with {@code
 * --add-modules=jdk.incubator.vector}.
 */
final class PlaneDepthwise {
  private static final VectorSpecies<Float> SPECIES = VectorWidth.SPECIES;
  private static final int LANES = VectorWidth.LANES;

  static {
    if (DepthwiseShape.LANES != LANES) {
      throw new AssertionError(
          "shapes padded to " + DepthwiseShape.LANES + " floats, vectors of " + LANES);
    }
  }

  private PlaneDepthwise() {}

  /**
   * Copies {@code in} (h x w) into its zero-padded phase planes {@code phased} ({@link
   * DepthwiseShape#phasedSize()} floats).
   */
  static void phase(float[] in, DepthwiseShape s, float[] phased) {
    phase(in, s, phased, 0);
  }

  /** As above, into the phase planes at {@code phased[phasedAt ...]}. */
  static void phase(float[] in, DepthwiseShape s, float[] phased, int phasedAt) {
    Arrays.fill(phased, phasedAt, phasedAt + s.phasedSize(), 0f);
    int stride = s.stride;
    for (int qy = 0; qy < stride; qy++) {
      for (int qx = 0; qx < stride; qx++) {
        int phase = phasedAt + s.phase(qy, qx);
        int first = firstColumn(s, qx);
        int end = endColumn(s, qx, first);
        for (int r = 0; r < s.rows; r++) {
          int iy = r * stride + qy - s.pad;
          if (iy < 0 || iy >= s.h) {
            continue;
          }
          int at = phase + r * s.width + first;
          int source = iy * s.w + first * stride + qx - s.pad;
          if (stride == 1) {
            System.arraycopy(in, source, phased, at, end - first);
          } else {
            for (int j = first; j < end; j++, source += stride) {
              phased[at++] = in[source];
            }
          }
        }
      }
    }
  }

  /** The first column of a phase qx that holds an input column (j * stride + qx - pad >= 0). */
  private static int firstColumn(DepthwiseShape s, int qx) {
    return Math.max(0, -Math.floorDiv(qx - s.pad, s.stride));
  }

  /** One past the last column of phase qx that holds an input column, within the phase's width. */
  private static int endColumn(DepthwiseShape s, int qx, int first) {
    int end = -Math.floorDiv(qx - s.pad - s.w, s.stride);
    return Math.max(first, Math.min(s.width, end));
  }

  /**
   * {@code out} ({@link DepthwiseShape#flat} floats, rows {@link DepthwiseShape#width} apart) = the
   * convolution of the phased input with the kernel at {@code kernel[kernelAt ...]} (k*k,
   * row-major). {@link #compact} cuts the rows to the output's width.
   */
  static void forward(float[] phased, float[] kernel, int kernelAt, DepthwiseShape s, float[] out) {
    Arrays.fill(out, 0, s.flat, 0f);
    forwardAdd(phased, 0, kernel, kernelAt, s, out);
  }

  /**
   * {@code out +=} the convolution of the phase planes at {@code phased[phasedAt ...]} with the
   * kernel: a dense conv sums its input channels' planes this way ({@link PlaneConvolution}).
   */
  static void forwardAdd(
      float[] phased, int phasedAt, float[] kernel, int kernelAt, DepthwiseShape s, float[] out) {
    addTaps(out, 0, phased, phasedAt, s.tapOffsets, kernel, kernelAt, s.taps(), s.flat);
  }

  /** Moves the output rows of {@code out} together, {@code outW} apart. */
  static void compact(float[] out, DepthwiseShape s) {
    for (int oy = 1; oy < s.outH; oy++) {
      System.arraycopy(out, oy * s.width, out, oy * s.outW, s.outW);
    }
  }

  /**
   * {@code dst[dstAt + x] += sum over taps t of w[wAt + t] * src[srcAt + offsets[t] + x]} for x in
   * [0, lanes), a whole number of vectors. Taps go up to nine at a time with the sum in a register:
   * C2 keeps vectors in registers within one loop but boxes one carried across nested loops (0.8
   * GFMA/s when the tap loop was inside the lane loop).
   */
  private static void addTaps(
      float[] dst,
      int dstAt,
      float[] src,
      int srcAt,
      int[] offsets,
      float[] w,
      int wAt,
      int count,
      int lanes) {
    int t = 0;
    while (t < count) {
      int left = count - t;
      if (left >= 9) {
        addNine(dst, dstAt, src, srcAt, offsets, t, w, wAt + t, lanes);
        t += 9;
      } else if (left >= 3) {
        addThree(dst, dstAt, src, srcAt, offsets, t, w, wAt + t, lanes);
        t += 3;
      } else {
        addOne(dst, dstAt, src, srcAt + offsets[t], w[wAt + t], lanes);
        t++;
      }
    }
  }

  private static void addNine(
      float[] dst,
      int dstAt,
      float[] src,
      int srcAt,
      int[] offsets,
      int t,
      float[] w,
      int wAt,
      int lanes) {
    int o0 = srcAt + offsets[t];
    int o1 = srcAt + offsets[t + 1];
    int o2 = srcAt + offsets[t + 2];
    int o3 = srcAt + offsets[t + 3];
    int o4 = srcAt + offsets[t + 4];
    int o5 = srcAt + offsets[t + 5];
    int o6 = srcAt + offsets[t + 6];
    int o7 = srcAt + offsets[t + 7];
    int o8 = srcAt + offsets[t + 8];
    FloatVector w0 = FloatVector.broadcast(SPECIES, w[wAt]);
    FloatVector w1 = FloatVector.broadcast(SPECIES, w[wAt + 1]);
    FloatVector w2 = FloatVector.broadcast(SPECIES, w[wAt + 2]);
    FloatVector w3 = FloatVector.broadcast(SPECIES, w[wAt + 3]);
    FloatVector w4 = FloatVector.broadcast(SPECIES, w[wAt + 4]);
    FloatVector w5 = FloatVector.broadcast(SPECIES, w[wAt + 5]);
    FloatVector w6 = FloatVector.broadcast(SPECIES, w[wAt + 6]);
    FloatVector w7 = FloatVector.broadcast(SPECIES, w[wAt + 7]);
    FloatVector w8 = FloatVector.broadcast(SPECIES, w[wAt + 8]);
    for (int x = 0; x < lanes; x += LANES) {
      FloatVector sum = FloatVector.fromArray(SPECIES, dst, dstAt + x);
      sum = FloatVector.fromArray(SPECIES, src, o0 + x).fma(w0, sum);
      sum = FloatVector.fromArray(SPECIES, src, o1 + x).fma(w1, sum);
      sum = FloatVector.fromArray(SPECIES, src, o2 + x).fma(w2, sum);
      sum = FloatVector.fromArray(SPECIES, src, o3 + x).fma(w3, sum);
      sum = FloatVector.fromArray(SPECIES, src, o4 + x).fma(w4, sum);
      sum = FloatVector.fromArray(SPECIES, src, o5 + x).fma(w5, sum);
      sum = FloatVector.fromArray(SPECIES, src, o6 + x).fma(w6, sum);
      sum = FloatVector.fromArray(SPECIES, src, o7 + x).fma(w7, sum);
      sum = FloatVector.fromArray(SPECIES, src, o8 + x).fma(w8, sum);
      sum.intoArray(dst, dstAt + x);
    }
  }

  private static void addThree(
      float[] dst,
      int dstAt,
      float[] src,
      int srcAt,
      int[] offsets,
      int t,
      float[] w,
      int wAt,
      int lanes) {
    int o0 = srcAt + offsets[t];
    int o1 = srcAt + offsets[t + 1];
    int o2 = srcAt + offsets[t + 2];
    FloatVector w0 = FloatVector.broadcast(SPECIES, w[wAt]);
    FloatVector w1 = FloatVector.broadcast(SPECIES, w[wAt + 1]);
    FloatVector w2 = FloatVector.broadcast(SPECIES, w[wAt + 2]);
    for (int x = 0; x < lanes; x += LANES) {
      FloatVector sum = FloatVector.fromArray(SPECIES, dst, dstAt + x);
      sum = FloatVector.fromArray(SPECIES, src, o0 + x).fma(w0, sum);
      sum = FloatVector.fromArray(SPECIES, src, o1 + x).fma(w1, sum);
      sum = FloatVector.fromArray(SPECIES, src, o2 + x).fma(w2, sum);
      sum.intoArray(dst, dstAt + x);
    }
  }

  private static void addOne(float[] dst, int dstAt, float[] src, int srcAt, float w, int lanes) {
    FloatVector w0 = FloatVector.broadcast(SPECIES, w);
    for (int x = 0; x < lanes; x += LANES) {
      FloatVector sum = FloatVector.fromArray(SPECIES, dst, dstAt + x);
      FloatVector.fromArray(SPECIES, src, srcAt + x).fma(w0, sum).intoArray(dst, dstAt + x);
    }
  }

  /**
   * Copies the output gradient {@code outGrad} (outH x outW) into {@code padded} ({@link
   * DepthwiseShape#gradSize()} floats) in the output's layout, zeros everywhere else.
   */
  static void padGradient(float[] outGrad, DepthwiseShape s, float[] padded) {
    padGradient(outGrad, s, padded, 0);
  }

  /** As above, into {@code padded[paddedAt ...]}. */
  static void padGradient(float[] outGrad, DepthwiseShape s, float[] padded, int paddedAt) {
    Arrays.fill(padded, paddedAt, paddedAt + s.gradSize(), 0f);
    for (int oy = 0; oy < s.outH; oy++) {
      System.arraycopy(outGrad, oy * s.outW, padded, paddedAt + s.gradBase + oy * s.width, s.outW);
    }
  }

  /**
   * The kernel gradient: adds this plane's {@code sum over outputs of grad * input} to {@code
   * kernelGrad[kernelAt ...]} (k*k).
   */
  static void kernelGradient(
      float[] phased, float[] paddedGrad, DepthwiseShape s, float[] kernelGrad, int kernelAt) {
    kernelGradient(phased, 0, paddedGrad, 0, s, kernelGrad, kernelAt);
  }

  /** As above, for the phase planes at {@code phased[phasedAt ...]} and the gradient at gradAt. */
  static void kernelGradient(
      float[] phased,
      int phasedAt,
      float[] paddedGrad,
      int gradAt,
      DepthwiseShape s,
      float[] kernelGrad,
      int kernelAt) {
    for (int t = 0; t < s.taps(); t++) {
      // The extra columns and lanes read the gradient's zeros.
      kernelGrad[kernelAt + t] +=
          dot(paddedGrad, gradAt + s.gradBase, phased, phasedAt + s.tapOffsets[t], s.flat);
    }
  }

  /** The dot product of {@code lanes} floats (a whole number of vectors) at a and at b. */
  private static float dot(float[] a, int aAt, float[] b, int bAt, int lanes) {
    FloatVector sum = FloatVector.zero(SPECIES);
    for (int x = 0; x < lanes; x += LANES) {
      sum =
          FloatVector.fromArray(SPECIES, a, aAt + x)
              .fma(FloatVector.fromArray(SPECIES, b, bAt + x), sum);
    }
    return sum.reduceLanes(VectorOperators.ADD);
  }

  /**
   * The input gradient in phase planes: {@code phasedGrad} ({@link DepthwiseShape#phasedSize()}
   * floats) gets, at each padded input position, the sum of {@code grad * weight} over the outputs
   * and taps that read it. {@link #unphase} turns it into the input plane's gradient. {@code
   * offsets} and {@code weights} are scratch of at least k*k.
   */
  static void inputGradient(
      float[] paddedGrad,
      float[] kernel,
      int kernelAt,
      DepthwiseShape s,
      float[] phasedGrad,
      int[] offsets,
      float[] weights) {
    Arrays.fill(phasedGrad, 0, s.phasedSize(), 0f);
    inputGradientAdd(paddedGrad, 0, kernel, kernelAt, s, phasedGrad, 0, offsets, weights);
  }

  /**
   * {@code phasedGrad[phasedAt ...] +=} the input gradient through this kernel of the padded output
   * gradient at {@code paddedGrad[gradAt ...]}: a dense conv sums its output channels' this way.
   */
  static void inputGradientAdd(
      float[] paddedGrad,
      int gradAt,
      float[] kernel,
      int kernelAt,
      DepthwiseShape s,
      float[] phasedGrad,
      int phasedAt,
      int[] offsets,
      float[] weights) {
    int stride = s.stride;
    int k = s.k;
    for (int qy = 0; qy < stride; qy++) {
      for (int qx = 0; qx < stride; qx++) {
        // Position i of phase (qy, qx) is read by output i - shift of each of its taps.
        int taps = 0;
        for (int ky = qy; ky < k; ky += stride) {
          for (int kx = qx; kx < k; kx += stride) {
            offsets[taps] = s.gradBase - s.shift(ky, kx);
            weights[taps++] = kernel[kernelAt + ky * k + kx];
          }
        }
        int phase = phasedAt + s.phase(qy, qx);
        addTaps(phasedGrad, phase, paddedGrad, gradAt, offsets, weights, 0, taps, s.phaseLanes());
      }
    }
  }

  /**
   * The input plane's gradient {@code inGrad} (h x w) from its phase planes. Rows and columns past
   * the last a tap reads (a stride that does not divide the plane) get zero.
   */
  static void unphase(float[] phasedGrad, DepthwiseShape s, float[] inGrad) {
    unphase(phasedGrad, 0, s, inGrad);
  }

  /** As above, for the phase planes at {@code phasedGrad[phasedAt ...]}. */
  static void unphase(float[] phasedGrad, int phasedAt, DepthwiseShape s, float[] inGrad) {
    int stride = s.stride;
    for (int iy = 0; iy < s.h; iy++) {
      int out = iy * s.w;
      int r = (iy + s.pad) / stride;
      int qy = (iy + s.pad) % stride;
      if (r >= s.rows) {
        Arrays.fill(inGrad, out, out + s.w, 0f);
        continue;
      }
      // Input column ix is phase (ix + pad) % stride's column (ix + pad) / stride.
      for (int qx = 0; qx < stride; qx++) {
        int row = phasedAt + s.phase(qy, qx) + r * s.width;
        int first = firstColumn(s, qx);
        int end = endColumn(s, qx, first);
        int ix = first * stride + qx - s.pad;
        if (stride == 1) {
          System.arraycopy(phasedGrad, row + first, inGrad, out + ix, end - first);
        } else {
          for (int j = first; j < end; j++, ix += stride) {
            inGrad[out + ix] = phasedGrad[row + j];
          }
        }
        // columns no tap reads (past the phase width): no gradient
        for (ix = end * stride + qx - s.pad; ix < s.w; ix += stride) {
          inGrad[out + ix] = 0f;
        }
      }
    }
  }
}
