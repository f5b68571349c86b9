package org.parameternet.model.onnx;

import java.io.IOException;
import java.io.InputStream;
import onnx.OnnxMl.ModelProto;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;
import org.parameternet.data.AtomicFile;
import org.parameternet.data.OutputLock;

/**
 * The output rule of an exported ONNX file ({@code export.out}): the name may be new; an existing
 * file is replaced only when asked ({@code export.overwrite}) and only if {@link OnnxExport} wrote
 * it, so a user's file at that name is never lost.
 */
public final class OnnxFile {
  private OnnxFile() {}

  /**
   * Refuses {@code target} unless it is absent or, with {@code overwrite}, an ONNX model of ours.
   * Called before the export, so a refused name costs no work.
   */
  public static void refuseForeign(FileSystem fs, Path target, boolean overwrite)
      throws IOException {
    if (!fs.exists(target)) {
      return;
    }
    if (!fs.getFileStatus(target).isFile()) {
      throw new IllegalArgumentException("export.out " + target + " exists and is not a file");
    }
    if (!overwrite) {
      throw new IllegalArgumentException(
          "export.out " + target + " exists; pass export.overwrite to replace an earlier export");
    }
    try (InputStream in = fs.open(target)) {
      ModelProto existing = ModelProto.parseFrom(in);
      if (!existing.getProducerName().equals(OnnxExport.PRODUCER)) {
        throw new IllegalArgumentException(
            "export.out "
                + target
                + " was not written by pnet export (producer '"
                + existing.getProducerName()
                + "'): not replaced");
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "export.out " + target + " is not an ONNX model: not replaced", e);
    }
  }

  /**
   * Publishes {@code model} at {@code target} in one step (written beside it and renamed over it,
   * so a failed write leaves no half file), holding a lock beside it so that two exports of one
   * file cannot interleave, and checking the target again just before: a file that appeared there
   * while the model was being exported is refused as one found at the start would be, never
   * deleted. {@code what} names the output if another process holds the lock.
   */
  public static void publish(
      FileSystem fs, Path target, byte[] model, boolean overwrite, String what) throws IOException {
    try (OutputLock held = OutputLock.acquire(fs, lock(target), what)) {
      refuseForeign(fs, target, overwrite);
      AtomicFile.replace(fs, target, model);
    }
  }

  /** The lock file of {@code target}, beside it. */
  static Path lock(Path target) {
    return new Path(target.getParent(), "." + target.getName() + ".pnet-export.lock");
  }
}
