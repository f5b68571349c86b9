package org.parameternet.model.layers;

/**
 * A strided depthwise convolution on Java plane arrays (float32 NCHW, one k x k kernel per channel,
 * zero padding): forward, input gradient and kernel gradient. libnd4j's strided depthwise conv
 * (stride 2, oneDNN with a reorder of the whole tensor to a blocked layout and back, on both
 * passes) ran at about 1 GMAC/s here; these loops visit each input and output element once per tap
 * and keep the planes in cache.
 */
final class PlaneDepthwise {
  private PlaneDepthwise() {}

  /** Geometry of one call: input plane {@code h x w}, output {@code outH x outW}. */
  record Shape(int h, int w, int outH, int outW, int k, int stride, int pad) {
    int inPlane() {
      return h * w;
    }

    int outPlane() {
      return outH * outW;
    }

    /** The first output column whose tap {@code kx} reads inside the input row. */
    int firstColumn(int kx) {
      int lead = pad - kx;
      return lead <= 0 ? 0 : (lead + stride - 1) / stride;
    }

    /** One past the last output column whose tap {@code kx} reads inside the input row. */
    int endColumn(int kx) {
      int last = (w - 1 + pad - kx);
      return last < 0 ? 0 : Math.min(outW, last / stride + 1);
    }
  }

  /** {@code out} = the convolution of {@code in} with {@code kernel} (k*k, row-major). */
  static void forward(float[] in, float[] kernel, Shape s, float[] out) {
    java.util.Arrays.fill(out, 0, s.outPlane(), 0f);
    for (int oy = 0; oy < s.outH(); oy++) {
      int row = oy * s.outW();
      for (int ky = 0; ky < s.k(); ky++) {
        int iy = oy * s.stride() + ky - s.pad();
        if (iy < 0 || iy >= s.h()) {
          continue;
        }
        for (int kx = 0; kx < s.k(); kx++) {
          float weight = kernel[ky * s.k() + kx];
          int base = iy * s.w() + kx - s.pad();
          int end = s.endColumn(kx);
          for (int ox = s.firstColumn(kx); ox < end; ox++) {
            out[row + ox] += weight * in[base + ox * s.stride()];
          }
        }
      }
    }
  }

  /**
   * {@code inGrad} = the gradient of the input ({@code outGrad} convolved back through {@code
   * kernel}); {@code kernelGrad} (k*k) gains this plane's contribution.
   */
  static void backward(
      float[] in, float[] kernel, float[] outGrad, Shape s, float[] inGrad, float[] kernelGrad) {
    java.util.Arrays.fill(inGrad, 0, s.inPlane(), 0f);
    for (int oy = 0; oy < s.outH(); oy++) {
      int row = oy * s.outW();
      for (int ky = 0; ky < s.k(); ky++) {
        int iy = oy * s.stride() + ky - s.pad();
        if (iy < 0 || iy >= s.h()) {
          continue;
        }
        for (int kx = 0; kx < s.k(); kx++) {
          int tap = ky * s.k() + kx;
          float weight = kernel[tap];
          int base = iy * s.w() + kx - s.pad();
          int end = s.endColumn(kx);
          float sum = 0;
          for (int ox = s.firstColumn(kx); ox < end; ox++) {
            float g = outGrad[row + ox];
            int i = base + ox * s.stride();
            inGrad[i] += weight * g;
            sum += g * in[i];
          }
          kernelGrad[tap] += sum;
        }
      }
    }
  }
}
