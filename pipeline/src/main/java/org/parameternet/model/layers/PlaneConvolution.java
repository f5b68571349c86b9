package org.parameternet.model.layers;

import java.util.Arrays;

/**
 * A dense convolution with few input channels (the stem: 3x3 stride 2 on RGB) as sums of plane
 * convolutions on the SIMD kernels of {@link PlaneDepthwise}: output channel co of sample n is the
 * sum over input channels ci of plane ci convolved with kernel (co, ci). Samples run in parallel.
 * DL4J's oneDNN convolution took 107-109 ms fwd + bwd for GhostNet-300M's stem (3 -> 24 channels,
 * 224x224, batch 32) here, most of it reordering the tensors to a blocked layout and back; im2col
 * and one sgemm per sample was no faster (115-118 ms, memory-bound on the 43 MB of columns).
 */
final class PlaneConvolution {
  /**
   * At most this many weights per output channel (C_in x k x k): the inputs' phase planes stay
   * small.
   */
  static final int MAX_WEIGHTS_PER_OUTPUT = 64;

  private PlaneConvolution() {}

  /** Whether a conv of this shape runs here (given the caller's other conditions). */
  static boolean fits(long inChannels, int k) {
    return k > 1 && inChannels * k * k <= MAX_WEIGHTS_PER_OUTPUT;
  }

  /**
   * The kernels, [C_out, C_in, k, k] row-major, once for all samples or once per sample
   * (sample-major, a dynamic conv's fused kernels).
   */
  record Kernels(float[] values, int outChannels, int inChannels, int taps, boolean perSample) {
    int at(int n, int co, int ci) {
      return ((perSample ? n * outChannels : 0) + co) * inChannels * taps + ci * taps;
    }

    int perSampleSize() {
      return outChannels * inChannels * taps;
    }
  }

  static void forward(ChannelPlanes in, Kernels w, DepthwiseShape s, ChannelPlanes out) {
    check(in, w, s, out.channels() == w.outChannels() && out.plane() == s.outPlane());
    int channels = in.channels();
    PlaneWork.forEachChannel(
        in.batch(),
        in.size(),
        n -> {
          float[] plane = PlaneWork.scratch(0, s.inPlane());
          float[] phased = PlaneWork.scratch(1, channels * s.phasedSize());
          float[] result = PlaneWork.scratch(2, s.flat);
          phaseInputs(in, n, s, plane, phased);
          for (int co = 0; co < w.outChannels(); co++) {
            Arrays.fill(result, 0, s.flat, 0f);
            for (int ci = 0; ci < channels; ci++) {
              PlaneDepthwise.forwardAdd(
                  phased, ci * s.phasedSize(), w.values(), w.at(n, co, ci), s, result);
            }
            PlaneDepthwise.compact(result, s);
            out.data().put(out.start(n, co), result, 0, s.outPlane());
          }
        });
  }

  private static void check(ChannelPlanes in, Kernels w, DepthwiseShape s, boolean outputs) {
    if (in.channels() != w.inChannels() || in.plane() != s.inPlane() || !outputs) {
      throw new IllegalArgumentException(
          "plane convolution: "
              + in.channels()
              + " input channels of "
              + in.plane()
              + " for kernels "
              + w.outChannels()
              + "x"
              + w.inChannels()
              + " on planes of "
              + s.inPlane());
    }
  }

  /**
   * Writes the input gradient into {@code inGrad}; returns the kernels' gradient, laid out as the
   * kernels are.
   */
  static float[] backward(
      ChannelPlanes in, ChannelPlanes outGrad, Kernels w, DepthwiseShape s, ChannelPlanes inGrad) {
    check(
        in,
        w,
        s,
        outGrad.channels() == w.outChannels()
            && outGrad.plane() == s.outPlane()
            && inGrad.sameShape(in));
    // Shared kernels: each sample sums into its own slot, added up afterwards (no races).
    float[][] perSample = new float[in.batch()][];
    PlaneWork.forEachChannel(
        in.batch(), in.size(), n -> perSample[n] = backwardSample(in, outGrad, w, s, inGrad, n));
    return w.perSample() ? concatenated(perSample, w) : summed(perSample, w);
  }

  /**
   * Sample {@code n}'s backward pass: its input gradient into {@code inGrad}, its kernels' gradient
   * returned. The inputs are phased and the output gradients padded once, then shared by both.
   */
  private static float[] backwardSample(
      ChannelPlanes in,
      ChannelPlanes outGrad,
      Kernels w,
      DepthwiseShape s,
      ChannelPlanes inGrad,
      int n) {
    float[] plane = PlaneWork.scratch(0, Math.max(s.inPlane(), s.outPlane()));
    float[] phased = PlaneWork.scratch(1, in.channels() * s.phasedSize());
    float[] padded = PlaneWork.scratch(2, w.outChannels() * s.gradSize());
    float[] phasedGrad = PlaneWork.scratch(3, s.phasedSize());
    phaseInputs(in, n, s, plane, phased);
    int outChannels = w.outChannels();
    for (int co = 0; co < outChannels; co++) {
      outGrad.data().get(outGrad.start(n, co), plane, 0, s.outPlane());
      PlaneDepthwise.padGradient(plane, s, padded, co * s.gradSize());
    }
    float[] grads = kernelGradient(phased, padded, w, s);
    inputGradient(padded, w, s, n, plane, phasedGrad, inGrad);
    return grads;
  }

  /** Sample {@code n}'s input planes, phased one after another into {@code phased}. */
  private static void phaseInputs(
      ChannelPlanes in, int n, DepthwiseShape s, float[] plane, float[] phased) {
    int channels = in.channels();
    for (int ci = 0; ci < channels; ci++) {
      in.data().get(in.start(n, ci), plane, 0, s.inPlane());
      PlaneDepthwise.phase(plane, s, phased, ci * s.phasedSize());
    }
  }

  /** One sample's kernels' gradient, laid out as one sample's kernels are. */
  private static float[] kernelGradient(
      float[] phased, float[] padded, Kernels w, DepthwiseShape s) {
    int channels = w.inChannels();
    int outChannels = w.outChannels();
    float[] grads = new float[w.perSampleSize()];
    for (int co = 0; co < outChannels; co++) {
      for (int ci = 0; ci < channels; ci++) {
        PlaneDepthwise.kernelGradient(
            phased, ci * s.phasedSize(), padded, co * s.gradSize(), s, grads, w.at(0, co, ci));
      }
    }
    return grads;
  }

  /**
   * Sample {@code n}'s input gradient, channel by channel: the sum over output channels in phased
   * layout, then unphased into {@code inGrad}.
   */
  private static void inputGradient(
      float[] padded,
      Kernels w,
      DepthwiseShape s,
      int n,
      float[] plane,
      float[] phasedGrad,
      ChannelPlanes inGrad) {
    int[] offsets = new int[s.taps()];
    float[] weights = new float[s.taps()];
    int channels = w.inChannels();
    int outChannels = w.outChannels();
    for (int ci = 0; ci < channels; ci++) {
      Arrays.fill(phasedGrad, 0, s.phasedSize(), 0f);
      for (int co = 0; co < outChannels; co++) {
        PlaneDepthwise.inputGradientAdd(
            padded,
            co * s.gradSize(),
            w.values(),
            w.at(n, co, ci),
            s,
            phasedGrad,
            0,
            offsets,
            weights);
      }
      PlaneDepthwise.unphase(phasedGrad, s, plane);
      inGrad.data().put(inGrad.start(n, ci), plane, 0, s.inPlane());
    }
  }

  /** Per-sample kernels: the samples' gradients one after another. */
  private static float[] concatenated(float[][] perSample, Kernels w) {
    float[] all = new float[perSample.length * w.perSampleSize()];
    for (int n = 0; n < perSample.length; n++) {
      System.arraycopy(perSample[n], 0, all, n * w.perSampleSize(), w.perSampleSize());
    }
    return all;
  }

  /** Shared kernels: the sum of the samples' gradients, in sample order. */
  private static float[] summed(float[][] perSample, Kernels w) {
    float[] sum = new float[w.perSampleSize()];
    for (float[] grads : perSample) {
      for (int i = 0; i < sum.length; i++) {
        sum[i] += grads[i];
      }
    }
    return sum;
  }
}
