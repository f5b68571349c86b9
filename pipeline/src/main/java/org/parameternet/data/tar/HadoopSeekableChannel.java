package org.parameternet.data.tar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A read-only {@link SeekableByteChannel} over a Hadoop FileSystem file, so commons-compress's
 * random-access {@code TarFile} can index a tar on HDFS (or any connector) by seeking past entry
 * data instead of reading it.
 */
public final class HadoopSeekableChannel implements SeekableByteChannel {
  private final FSDataInputStream in;
  private final long start;
  private final long size;
  private boolean open = true;

  private HadoopSeekableChannel(FSDataInputStream in, long start, long size) throws IOException {
    this.in = in;
    this.start = start;
    this.size = size;
    in.seek(start);
  }

  public static HadoopSeekableChannel open(FileSystem fs, Path path) throws IOException {
    return new HadoopSeekableChannel(fs.open(path), 0, fs.getFileStatus(path).getLen());
  }

  /** A window of {@code length} bytes at {@code offset}: a member tar inside an outer tar. */
  public static HadoopSeekableChannel open(FileSystem fs, Path path, long offset, long length)
      throws IOException {
    long available = Math.max(0, Math.min(length, fs.getFileStatus(path).getLen() - offset));
    return new HadoopSeekableChannel(fs.open(path), offset, available);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    ensureOpen();
    long position = in.getPos() - start;
    if (position >= size) {
      return -1;
    }
    int wanted = (int) Math.min(dst.remaining(), size - position);
    if (dst.hasArray()) {
      int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), wanted);
      if (n > 0) {
        dst.position(dst.position() + n);
      }
      return n;
    }
    byte[] chunk = new byte[wanted];
    int n = in.read(chunk, 0, wanted);
    if (n > 0) {
      dst.put(chunk, 0, n);
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() throws IOException {
    ensureOpen();
    return in.getPos() - start;
  }

  @Override
  public SeekableByteChannel position(long newPosition) throws IOException {
    ensureOpen();
    // Seeking past the end is legal for channels; FSDataInputStream refuses it.
    in.seek(start + Math.min(newPosition, size));
    return this;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long newSize) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    if (open) {
      open = false;
      in.close();
    }
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!open) {
      throw new ClosedChannelException();
    }
  }
}
