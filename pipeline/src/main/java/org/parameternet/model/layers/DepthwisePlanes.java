package org.parameternet.model.layers;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
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
   * Whether these kernels beat libnd4j's depthwise op on planes of {@code h x w} at this stride.
   * Measured per layer (fwd + bwd, batch 32, 2 threads, against libnd4j's op in the same run;
   * GhostNet-300M's shapes): stride 1 on 16 planes of 112x112 took 14-20 ms against 33-44, on 36 of
   * 56x56 17 against 24, but on 60 of 28x28 12-13 against 6-8 and on smaller planes 3-4x longer
   * (oneDNN's reorders cost little on small tensors, and a plane's fixed cost dominates). Stride 2:
   * 37-40 ms against 222-226 on 70 planes of 112x112, 38 against 86 on 104 of 56x56 (5x5), 35-36
   * against 36-55 on 348 of 28x28, 62-66 against 39-51 on 976 of 14x14 (5x5). A dynamic conv's
   * per-sample kernels (libnd4j with the batch folded into channels) move the same way: 30 against
   * 44 ms at 112x112 and even at 56x56 for stride 1, 49 against 69 ms at 28x28 for stride 2, but 11
   * against 3 ms at 7x7.
   */
  static boolean faster(int h, int w, int stride) {
    return (long) h * w >= (stride == 1 ? 56 * 56 : 28 * 28);
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
    // A view's buffer starts at the array's offset (see ChannelPlanes).
    FloatPointer pointer = new FloatPointer(a.data().addressPointer());
    pointer.position(0).limit(a.length()).capacity(a.length());
    return pointer.asBuffer();
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
          float[] result = PlaneWork.scratch(2, s.outLanesSize());
          for (int n = 0; n < in.batch(); n++) {
            in.data().get(in.start(n, c), plane, 0, s.inPlane());
            PlaneDepthwise.phase(plane, s, phased);
            PlaneDepthwise.forward(phased, kernels, index.at(n, c), s, result);
            int start = out.start(n, c);
            for (int oy = 0; oy < s.outH; oy++) {
              out.data().put(start + oy * s.outW, result, oy * s.outLanes, s.outW);
            }
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
