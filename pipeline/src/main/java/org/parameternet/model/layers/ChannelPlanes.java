package org.parameternet.model.layers;

import java.nio.FloatBuffer;
import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A float32 NCHW array seen as {@code batch x channels} planes of {@code plane = H*W} contiguous
 * floats, in place over ND4J's native memory. Channel slices of a concatenation (the gradients a
 * {@code MergeVertex} hands back) qualify as they are: only each plane must be contiguous. It keeps
 * the array reachable: the buffer does not, and a temporary copy freed by ND4J's deallocator while
 * a kernel reads it would be read after free.
 */
record ChannelPlanes(
    FloatBuffer data,
    int batch,
    int channels,
    int plane,
    int batchStride,
    int channelStride,
    INDArray array) {

  /** The planes of {@code array}, or empty when it is not float32 rank 4 with contiguous planes. */
  static Optional<ChannelPlanes> of(INDArray array) {
    if (array.rank() != 4
        || array.dataType() != DataType.FLOAT
        || !planar(array)
        || array.data().length() > Integer.MAX_VALUE) {
      return Optional.empty();
    }
    long[] shape = array.shape();
    long[] stride = array.stride();
    return Optional.of(
        new ChannelPlanes(
            floats(array, array.data().length()),
            (int) shape[0],
            (int) shape[1],
            (int) (shape[2] * shape[3]),
            (int) stride[0],
            (int) stride[1],
            array));
  }

  /**
   * {@code length} floats of float32 {@code array}'s native memory from its first element, in
   * place. A view's buffer is itself a view starting at the array's offset: addressPointer() is
   * where element 0 lives.
   */
  static FloatBuffer floats(INDArray array, long length) {
    FloatPointer pointer = new FloatPointer(array.data().addressPointer());
    pointer.position(0).limit(length).capacity(length);
    return pointer.asBuffer();
  }

  private static boolean planar(INDArray array) {
    long[] shape = array.shape();
    long[] stride = array.stride();
    return (shape[3] == 1 || stride[3] == 1) && (shape[2] == 1 || stride[2] == shape[3]);
  }

  /** Where plane {@code (n, c)} starts in {@link #data()}. */
  int start(int n, int c) {
    return n * batchStride + c * channelStride;
  }

  /** The number of floats. */
  long size() {
    return (long) batch * channels * plane;
  }

  boolean sameShape(ChannelPlanes other) {
    return batch == other.batch && channels == other.channels && plane == other.plane;
  }
}
