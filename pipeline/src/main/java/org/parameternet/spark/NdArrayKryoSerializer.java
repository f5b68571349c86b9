package org.parameternet.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Kryo serialization of ND4J arrays as one bulk copy of their off-heap bytes. ND4J's own
 * serialization (Java and its Kryo registrator alike) writes element by element, which made
 * parameter-averaging rounds spend seconds moving parameters and Adam state; this copies them in
 * megabyte chunks. Byte order is the platform's: executors and driver must share it (x86-64 and
 * aarch64 are both little-endian).
 */
public final class NdArrayKryoSerializer extends Serializer<INDArray> {
  private static final int CHUNK = 1 << 20;

  @Override
  public void write(Kryo kryo, Output output, INDArray array) {
    INDArray dense =
        array.isView() || !Shape.hasDefaultStridesForShape(array)
            ? array.dup(array.ordering())
            : array;
    output.writeString(dense.dataType().name());
    output.writeChar(dense.ordering());
    long[] shape = dense.shape();
    output.writeInt(shape.length, true);
    for (long d : shape) {
      output.writeLong(d, true);
    }
    boolean empty = dense.isEmpty();
    output.writeBoolean(empty);
    if (empty) {
      return;
    }
    long bytes = dense.length() * dense.dataType().width();
    output.writeLong(bytes, true);
    ByteBuffer data = dense.data().asNio();
    if (data.remaining() < bytes) {
      throw new IllegalStateException(
          "array buffer holds " + data.remaining() + " bytes, expected " + bytes);
    }
    byte[] chunk = new byte[(int) Math.min(CHUNK, bytes)];
    for (long done = 0; done < bytes; ) {
      int n = (int) Math.min(chunk.length, bytes - done);
      data.get(chunk, 0, n);
      output.writeBytes(chunk, 0, n);
      done += n;
    }
  }

  @Override
  public INDArray read(Kryo kryo, Input input, Class<INDArray> type) {
    DataType dataType = DataType.valueOf(input.readString());
    char order = input.readChar();
    long[] shape = new long[input.readInt(true)];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = input.readLong(true);
    }
    if (input.readBoolean()) {
      try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        return Nd4j.create(dataType, shape);
      }
    }
    long bytes = input.readLong(true);
    INDArray array;
    // outside any workspace: the array outlives whatever scope the reading thread is in
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      array = Nd4j.createUninitialized(dataType, shape, order);
    }
    if (array.length() * dataType.width() != bytes) {
      throw new IllegalStateException(
          "serialized array has " + bytes + " bytes for shape " + Arrays.toString(shape));
    }
    ByteBuffer data = array.data().asNio();
    byte[] chunk = new byte[(int) Math.min(CHUNK, bytes)];
    for (long done = 0; done < bytes; ) {
      int n = (int) Math.min(chunk.length, bytes - done);
      input.readBytes(chunk, 0, n);
      data.put(chunk, 0, n);
      done += n;
    }
    return array;
  }
}
