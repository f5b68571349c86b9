package org.parameternet.model.layers;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Runs {@link PlaneDepthwise} over every (sample, channel) plane of float32 NCHW arrays, channels
 * in parallel ({@link PlaneWork}). The kernels are a flat array with one k*k kernel per channel (a
 * static conv) or per sample and channel (a dynamic conv's fused kernels); {@link KernelIndex} says
 * where plane (n, c)'s starts, and its gradient lands at the same place.
 */
final class DepthwisePlanes {
  private DepthwisePlanes() {}

  /**
   * Whether these kernels beat libnd4j's depthwise op on planes of {@code h x w} at this stride,
   * with one kernel per channel or per sample and channel (a dynamic conv, which libnd4j runs with
   * the batch folded into channels). Measured per layer (fwd + bwd, batch 32, 2 threads, against
   * libnd4j's op in the same run; GhostNet-300M's shapes). Strided, from 14x14: 3x3 on 70 planes of
   * 112x112 27-29 ms against 225-227, 5x5 on 104 of 56x56 21-24 against 87-94, 3x3 on 348 of 28x28
   * 20-21 against 31-54, 5x5 on 976 of 14x14 32-34 against 41-42. Stride 1, one kernel per channel,
   * from 56x56: 16 planes of 112x112 15-18 ms against 37-46, 36 of 56x56 17-20 against 26-28, but
   * 60 of 28x28 8-9 against 7-8 and 480 of 7x7 10-13 against 4 (oneDNN's reorders cost little on
   * small tensors, and a plane's fixed cost dominates). Stride 1, per-sample kernels, from 14x14:
   * 25 ms against 44 at 112x112, 13 against 20 at 28x28, 9 against 10 at 14x14, 7 against 3 at 7x7.
   */
  static boolean faster(int h, int w, int stride, boolean perSampleKernels) {
    long plane = (long) h * w;
    if (stride > 1 || perSampleKernels) {
      return plane >= 14 * 14;
    }
    return plane >= 56 * 56;
  }

  /** The floats of a C-order contiguous float32 array, copied. */
  static float[] floats(INDArray contiguous) {
    float[] values = new float[Math.toIntExact(contiguous.length())];
    buffer(contiguous).get(0, values);
    return values;
  }

  /** Writes {@code values} into a C-order contiguous float32 array of as many elements. */
  static void write(float[] values, INDArray contiguous) {
    if (contiguous.length() != values.length) {
      throw new IllegalArgumentException(values.length + " floats for " + contiguous.length());
    }
    buffer(contiguous).put(0, values);
  }

  private static FloatBuffer buffer(INDArray a) {
    if (a.dataType() != DataType.FLOAT
        || a.ordering() != 'c'
        || !Shape.hasDefaultStridesForShape(a)) {
      throw new IllegalArgumentException(
          "not a contiguous float32 array: " + a.shapeInfoToString());
    }
    return ChannelPlanes.floats(a, a.length());
  }

  /** Where the kernel of plane (n, c) starts. */
  interface KernelIndex {
    int at(int n, int c);
  }

  /** One kernel per channel, shared by the samples. */
  static KernelIndex perChannel(int taps) {
    return (n, c) -> c * taps;
  }

  /** One kernel per sample and channel, sample-major. */
  static KernelIndex perSample(int channels, int taps) {
    return (n, c) -> (n * channels + c) * taps;
  }

  static void forward(
      ChannelPlanes in, float[] kernels, KernelIndex index, DepthwiseShape s, ChannelPlanes out) {
    PlaneWork.forEachChannel(
        in.channels(),
        in.size(),
        c -> {
          float[] plane = PlaneWork.scratch(0, s.inPlane());
          float[] phased = PlaneWork.scratch(1, s.phasedSize());
          float[] result = PlaneWork.scratch(2, s.flat);
          for (int n = 0; n < in.batch(); n++) {
            in.data().get(in.start(n, c), plane, 0, s.inPlane());
            PlaneDepthwise.phase(plane, s, phased);
            PlaneDepthwise.forward(phased, kernels, index.at(n, c), s, result);
            PlaneDepthwise.compact(result, s);
            out.data().put(out.start(n, c), result, 0, s.outPlane());
          }
        });
  }

  /**
   * Writes the input gradient into {@code inGrad} and adds each plane's kernel gradient to {@code
   * kernelGrads} at its kernel's index (which must start zeroed or hold what to add to).
   */
  static void backward(
      ChannelPlanes in,
      ChannelPlanes outGrad,
      float[] kernels,
      KernelIndex index,
      DepthwiseShape s,
      ChannelPlanes inGrad,
      float[] kernelGrads) {
    PlaneWork.forEachChannel(
        in.channels(),
        in.size(),
        c -> {
          float[] plane = PlaneWork.scratch(0, s.inPlane());
          float[] phased = PlaneWork.scratch(1, s.phasedSize());
          float[] grad = PlaneWork.scratch(2, s.outPlane());
          float[] paddedGrad = PlaneWork.scratch(3, s.gradSize());
          float[] phasedGrad = PlaneWork.scratch(4, s.phasedSize());
          int[] offsets = new int[s.taps()];
          float[] weights = new float[s.taps()];
          for (int n = 0; n < in.batch(); n++) {
            int kernel = index.at(n, c);
            in.data().get(in.start(n, c), plane, 0, s.inPlane());
            outGrad.data().get(outGrad.start(n, c), grad, 0, s.outPlane());
            PlaneDepthwise.phase(plane, s, phased);
            PlaneDepthwise.padGradient(grad, s, paddedGrad);
            PlaneDepthwise.kernelGradient(phased, paddedGrad, s, kernelGrads, kernel);
            PlaneDepthwise.inputGradient(
                paddedGrad, kernels, kernel, s, phasedGrad, offsets, weights);
            PlaneDepthwise.unphase(phasedGrad, s, plane); // the input plane is no longer needed
            inGrad.data().put(inGrad.start(n, c), plane, 0, s.inPlane());
          }
        });
  }
}
