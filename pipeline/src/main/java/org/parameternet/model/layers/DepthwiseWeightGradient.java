package org.parameternet.model.layers;

import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The weight gradient of a kxk depthwise conv (padding k/2) in Java, over NHWC copies of its input
 * and output gradient, for the {@link DnnlConv}s whose oneDNN 2.5 backward-weights primitive is the
 * gemm-based one (strided convs, and planes smaller than the kernel): that one im2cols the whole
 * batch and took 4.5-8 ms for a 2x2 or 4x4 map of ghostnet_small_64 and 36 ms for GhostNet-300M's
 * strided 14x14 one, for a few million multiply-adds. Here each output pixel's gradient row is
 * multiplied into the k x k input rows it read, vectorised over the channels (contiguous in NHWC).
 * Large ones split the batch into {@link #PARTS} parts over the cores, each summing into its own
 * array, added in part order (so the result does not depend on the thread count): split by channels
 * instead, two threads each read every row of both tensors and took 1.4x one thread's time at 224.
 * Writes [C, k, k] (goihw), the layout {@link #gradientDesc}.
 */
final class DepthwiseWeightGradient {
  /** Parts of the batch a large gradient is summed in, whatever the thread count. */
  private static final int PARTS = 4;

  private final int batch;
  private final int channels;
  private final int height;
  private final int width;
  private final int outHeight;
  private final int outWidth;
  private final int kernel;
  private final int stride;

  /** For input [batch, channels, height, width] (NCHW order), a kernel x kernel conv by stride. */
  DepthwiseWeightGradient(long[] inDims, long[] outDims, int kernel, int stride) {
    batch = (int) inDims[0];
    channels = (int) inDims[1];
    height = (int) inDims[2];
    width = (int) inDims[3];
    outHeight = (int) outDims[2];
    outWidth = (int) outDims[3];
    this.kernel = kernel;
    this.stride = stride;
  }

  /** The gradient's layout: [C, 1, 1, k, k] plain. */
  static memory.desc gradientDesc(DnnlProgram p, int channels, int kernel) {
    return p.desc(new long[] {channels, 1, 1, kernel, kernel}, memory.format_tag.goihw);
  }

  /** {@code dWeights = sum over batch and plane of dOut x input} (both NHWC memories). */
  void run(stream s, memory input, memory dOut, memory dWeights) {
    s._wait();
    float[] x = read(input, (long) batch * height * width * channels, 0);
    float[] dy = read(dOut, (long) batch * outHeight * outWidth * channels, 1);
    int taps = kernel * kernel;
    long work = (long) batch * outHeight * outWidth * taps * channels;
    int parts = KernelPolicy.serialJava(work) ? 1 : Math.min(PARTS, batch);
    float[][] sums = new float[parts][taps * channels];
    PlaneWork.forEachChannel(
        parts,
        work,
        part -> accumulate(x, dy, sums[part], batch * part / parts, batch * (part + 1) / parts));
    float[] out = new float[taps * channels];
    for (float[] partial : sums) {
      for (int t = 0; t < taps; t++) {
        for (int c = 0; c < channels; c++) {
          out[c * taps + t] += partial[t * channels + c];
        }
      }
    }
    new FloatPointer(dWeights.get_data_handle()).capacity(out.length).put(out);
  }

  /** Samples [from, to)'s share of the sums, [tap][channel]. */
  private void accumulate(float[] x, float[] dy, float[] sums, int from, int to) {
    int pad = kernel / 2;
    for (int n = from; n < to; n++) {
      for (int oh = 0; oh < outHeight; oh++) {
        for (int ow = 0; ow < outWidth; ow++) {
          int g = ((n * outHeight + oh) * outWidth + ow) * channels;
          for (int i = 0; i < kernel; i++) {
            int ih = oh * stride + i - pad;
            if (ih < 0 || ih >= height) {
              continue;
            }
            for (int j = 0; j < kernel; j++) {
              int iw = ow * stride + j - pad;
              if (iw < 0 || iw >= width) {
                continue;
              }
              int in = ((n * height + ih) * width + iw) * channels;
              int tap = (i * kernel + j) * channels;
              for (int c = 0; c < channels; c++) {
                sums[tap + c] += dy[g + c] * x[in + c];
              }
            }
          }
        }
      }
    }
  }

  private static float[] read(memory m, long count, int slot) {
    float[] values = PlaneWork.scratch(slot, (int) count);
    new FloatPointer(m.get_data_handle()).capacity(count).get(values, 0, (int) count);
    return values;
  }
}
