package org.parameternet.model.layers;

/**
 * The geometry of a depthwise convolution on one plane for {@link PlaneDepthwise}, and the layout
 * of its working copies. Input {@code h x w}, output {@code outH x outW}, a square kernel, one
 * stride and zero padding. Names no Vector API type, so it loads on any JVM.
 *
 * <p>The layout makes every tap a constant offset into one flat array, so that a whole plane is a
 * single loop per tap whatever its size and stride. The zero-padded input is split into {@code
 * stride x stride} phase planes: phase (qy, qx) holds the padded rows qy, qy + stride, ... and
 * columns qx, qx + stride, ..., each row {@link #width} floats. Output (oy, ox) of tap (ky, kx)
 * then reads phase (ky % stride, kx % stride) at row oy + ky / stride, column ox + kx / stride.
 * Outputs are computed {@link #width} to a row too: the {@code width - outW} extra columns read
 * their own row's padding or the next row's start and are dropped; in a gradient they hold zeros,
 * which is also where a tap reading before a row's start lands.
 */
final class DepthwiseShape {
  /**
   * Floats in one vector, what {@link PlaneDepthwise} computes in ({@link VectorKernels#lanes()}).
   */
  static final int LANES = VectorKernels.lanes();

  final int h;
  final int w;
  final int outH;
  final int outW;
  final int k;
  final int stride;
  final int pad;

  /** The largest row or column shift of a tap within its phase, {@code (k - 1) / stride}. */
  final int reach;

  /** A phase row's floats, and an output row's: {@code outW + reach}. */
  final int width;

  /** Rows of a phase plane: {@code outH + reach}. */
  final int rows;

  /** Output floats computed, {@code outH * width} rounded up to whole vectors. */
  final int flat;

  /** Floats of one phase plane: its rows, then zeros for the lanes that read past them. */
  final int phaseSize;

  /** Where the output gradient starts in its padded copy: room for the largest tap shift. */
  final int gradBase;

  /** Where tap (ky, kx) reads in the phase planes for output 0. */
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
    this.width = outW + reach;
    this.rows = outH + reach;
    this.flat = roundUp(outH * width);
    this.phaseSize = roundUp(rows * width + reach + LANES);
    this.gradBase = reach * width + reach;
    this.tapOffsets = new int[k * k];
    for (int ky = 0; ky < k; ky++) {
      for (int kx = 0; kx < k; kx++) {
        tapOffsets[ky * k + kx] = phase(ky % stride, kx % stride) + shift(ky, kx);
      }
    }
  }

  static int roundUp(int n) {
    return (n + LANES - 1) / LANES * LANES;
  }

  /** Where phase (qy, qx) starts. */
  int phase(int qy, int qx) {
    return (qy * stride + qx) * phaseSize;
  }

  /** How far tap (ky, kx) reads from an output's position within its phase. */
  int shift(int ky, int kx) {
    return (ky / stride) * width + kx / stride;
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

  int phases() {
    return stride * stride;
  }

  /** Floats of all phase planes. */
  int phasedSize() {
    return phases() * phaseSize;
  }

  /**
   * Floats of a phase plane's rows, rounded up to whole vectors: what the input gradient computes.
   */
  int phaseLanes() {
    return roundUp(rows * width);
  }

  /** Floats of the padded output gradient. */
  int gradSize() {
    return gradBase + phaseLanes();
  }
}
