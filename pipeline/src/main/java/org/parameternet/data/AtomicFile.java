package org.parameternet.data;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.DistributedFileSystem;

/**
 * Replaces a small file so that a reader sees the old content or the new, never neither and never a
 * mix: written beside the target under a temporary name, then renamed over it in one step. On a
 * local disk the new content is fsynced before the rename and the directory after it ({@link
 * Durable}), so this holds across a power loss too.
 */
public final class AtomicFile {
  /** The prefix of the temporary names; a file so named with nothing to rename is a leftover. */
  public static final String TEMPORARY_PREFIX = ".pnet-replacing-";

  private AtomicFile() {}

  /**
   * Writes {@code bytes} to {@code target}, replacing what is there in one step (the caller owns
   * {@code target}; the only file deleted besides it is its own checksum): HDFS renames over it
   * atomically, the local file system by POSIX rename. An object store has no rename, but its PUT
   * replaces an object whole, so there the file is written in place.
   */
  public static void replace(FileSystem fs, Path target, byte[] bytes) throws IOException {
    if (fs instanceof DistributedFileSystem hdfs) {
      Path temporary = temporaryFor(target);
      write(hdfs, temporary, bytes, false);
      hdfs.rename(temporary, target, Options.Rename.OVERWRITE);
    } else if (fs instanceof LocalFileSystem local) {
      // Through the raw file system: a checksum file would be renamed in a second step, and in
      // between the new content would meet the old checksum
      FileSystem raw = local.getRawFileSystem();
      Path oldChecksum = local.getChecksumFile(target);
      boolean checksummed = raw.exists(oldChecksum);
      if (checksummed && !raw.exists(target)) {
        // Not the checksum of a file being replaced: not this call's to delete
        throw new IOException(
            oldChecksum + " is a checksum without its file; move it away: nothing was replaced");
      }
      Path temporary = temporaryFor(target);
      write(raw, temporary, bytes, false);
      // On disk before the rename publishes it: a power loss must not leave an empty target
      Durable.sync(raw, temporary);
      if (checksummed) {
        // The checksum Hadoop keeps for the target, which the caller owns and replaces here, and
        // only when the target is there (a checksum without it was refused above): the one name
        // Hadoop derives from the target, so never another file (a user's beside it stays,
        // DatasetPublisherTest). Unverified, the old content still reads until the rename.
        raw.delete(oldChecksum, false);
      }
      if (!raw.rename(temporary, target)) {
        throw new IOException("could not rename " + temporary + " over " + target);
      }
      Durable.sync(raw, target.getParent());
    } else {
      write(fs, target, bytes, true);
    }
  }

  /** {@code name} is a temporary name {@link #replace} gives. */
  public static boolean isTemporary(String name) {
    return name.startsWith(TEMPORARY_PREFIX)
        && name.substring(TEMPORARY_PREFIX.length())
            .matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  }

  private static Path temporaryFor(Path target) {
    return new Path(target.getParent(), TEMPORARY_PREFIX + UUID.randomUUID());
  }

  /** {@code overwrite} only for the caller's own target; temporaries are created new. */
  private static void write(FileSystem fs, Path path, byte[] bytes, boolean overwrite)
      throws IOException {
    try (OutputStream out = fs.create(path, overwrite)) {
      out.write(bytes);
    }
  }
}
