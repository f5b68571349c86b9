package org.parameternet.model.layers;

/**
 * The geometry of a depthwise convolution on one plane for {@link PlaneDepthwise}: input {@code h x
 * w}, output {@code outH x outW}, a square kernel, one stride and zero padding; and the layout of
 * its working copies. The input is copied zero-padded into {@code stride} phase planes (phase q
 * holds the padded columns q, q + stride, ...), rows a whole number of vectors wide. Names no
 * Vector API type, so it loads on any JVM.
 */
final class DepthwiseShape {
  /** Floats in one vector: 256-bit lanes (AVX2), what {@link PlaneDepthwise} computes in. */
  static final int LANES = 8;

  final int h;
  final int w;
  final int outH;
  final int outW;
  final int k;
  final int stride;
  final int pad;

  /** The largest column shift of a tap within its phase, {@code (k - 1) / stride}. */
  final int reach;

  /** Output row width rounded up to whole vectors: the lanes every row loop computes. */
  final int outLanes;

  /** A phase row's width: every column the forward lanes read, rounded up to whole vectors. */
  final int phaseWidth;

  /** The padded input rows any output row reads. */
  final int paddedRows;

  /**
   * The output gradient's row width in its padded copy: {@code reach} zeros on the left, so that
   * the input gradient's lanes can read {@code reach} columns back, and zeros on the right up to
   * every lane those and the kernel gradient read.
   */
  final int gradWidth;

  /**
   * Where tap (ky, kx) of output row 0 reads in the phase planes: phase {@code kx % stride}'s row
   * ky, {@code kx / stride} columns on. Output row oy reads {@code stride * stride * phaseWidth}
   * further on.
   */
  final int[] tapOffsets;

  DepthwiseShape(int h, int w, int k, int stride, int pad) {
    this.h = h;
    this.w = w;
    this.k = k;
    this.stride = stride;
    this.pad = pad;
    this.outH = (h + 2 * pad - k) / stride + 1;
    this.outW = (w + 2 * pad - k) / stride + 1;
    if (h < 1 || w < 1 || k < 1 || stride < 1 || pad < 0 || outH < 1 || outW < 1) {
      throw new IllegalArgumentException(
          "depthwise conv geometry: plane "
              + h
              + "x"
              + w
              + ", k "
              + k
              + ", stride "
              + stride
              + ", pad "
              + pad);
    }
    this.reach = (k - 1) / stride;
    this.outLanes = roundUp(outW);
    this.phaseWidth = roundUp(outLanes + reach);
    this.paddedRows = (outH - 1) * stride + k;
    this.gradWidth = phaseWidth + reach;
    this.tapOffsets = new int[k * k];
    for (int ky = 0; ky < k; ky++) {
      for (int kx = 0; kx < k; kx++) {
        tapOffsets[ky * k + kx] = (ky * stride + kx % stride) * phaseWidth + kx / stride;
      }
    }
  }

  private static int roundUp(int n) {
    return (n + LANES - 1) / LANES * LANES;
  }

  int inPlane() {
    return h * w;
  }

  int outPlane() {
    return outH * outW;
  }

  int taps() {
    return k * k;
  }

  /** Floats of the phase planes: padded row r, phase q at {@code (r * stride + q) * phaseWidth}. */
  int phasedSize() {
    return paddedRows * stride * phaseWidth;
  }

  int gradSize() {
    return outH * gradWidth;
  }

  /** Floats of a computed output plane, rows {@link #outLanes} apart. */
  int outLanesSize() {
    return outH * outLanes;
  }
}
