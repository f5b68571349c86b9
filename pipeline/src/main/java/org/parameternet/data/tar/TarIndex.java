package org.parameternet.data.tar;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The members of a tar, found by walking its headers and seeking past the data: for a 1.3 TB outer
 * archive of per-synset tars this reads only the headers.
 *
 * @param members regular-file members whose bytes are all present, in archive order
 * @param cutMember the member the archive ends inside of, when it was cut off
 * @param special names of members that are neither regular files nor directories (symbolic and hard
 *     links, devices, FIFOs): never read, for the caller to account for
 */
public record TarIndex(List<TarMember> members, Optional<String> cutMember, List<String> special) {

  /**
   * A member that holds data of its own: a regular file (sparse ones included), not a link, device
   * or FIFO, whose header may claim a size but whose "data" is something else.
   */
  public static boolean regular(TarArchiveEntry entry) {
    return entry.isFile()
        && !entry.isSymbolicLink()
        && !entry.isLink()
        && !entry.isCharacterDevice()
        && !entry.isBlockDevice()
        && !entry.isFIFO();
  }

  /** A member that is neither a regular file nor a directory (nor a PAX global header). */
  public static boolean special(TarArchiveEntry entry) {
    return !regular(entry) && !entry.isDirectory() && !entry.isGlobalPaxHeader();
  }

  public boolean truncated() {
    return cutMember.isPresent();
  }

  /** Indexes {@code archive}; an archive that is not a tar at all throws, naming the file. */
  public static TarIndex of(FileSystem fs, Path archive) throws IOException {
    return of(HadoopSeekableChannel.open(fs, archive), archive.toString());
  }

  /** Indexes the tar stored as {@code length} bytes at {@code offset} of {@code archive}. */
  public static TarIndex of(FileSystem fs, Path archive, long offset, long length)
      throws IOException {
    return of(HadoopSeekableChannel.open(fs, archive, offset, length), archive + "@" + offset);
  }

  private static TarIndex of(HadoopSeekableChannel opened, String archive) throws IOException {
    try (HadoopSeekableChannel channel = opened;
        TarFile tar = new TarFile(channel)) {
      List<TarMember> members = new ArrayList<>();
      List<String> special = new ArrayList<>();
      List<TarArchiveEntry> entries = tar.getEntries();
      if (entries.isEmpty() && !isEmptyTar(channel)) {
        throw new IOException(archive + ": not a tar (no valid header)");
      }
      for (TarArchiveEntry entry : entries) {
        if (special(entry)) {
          special.add(entry.getName());
        }
        if (!regular(entry)) {
          continue;
        }
        if (entry.getDataOffset() + entry.getRealSize() > channel.size()) {
          return new TarIndex(members, Optional.of(entry.getName()), special);
        }
        members.add(new TarMember(entry.getName(), entry.getDataOffset(), entry.getRealSize()));
      }
      return new TarIndex(members, Optional.empty(), special);
    } catch (IllegalArgumentException e) {
      // commons-compress reports malformed headers this way
      throw new IOException(archive + ": not a readable tar (" + e.getMessage() + ")", e);
    }
  }

  /** An empty archive is zero bytes or starts with an all-zero end-of-archive block. */
  private static boolean isEmptyTar(HadoopSeekableChannel channel) throws IOException {
    if (channel.size() == 0) {
      return true;
    }
    if (channel.size() < 512) {
      return false;
    }
    ByteBuffer block = ByteBuffer.allocate(512);
    channel.position(0);
    while (block.hasRemaining() && channel.read(block) > 0) {
      // keep reading until the block is full
    }
    for (byte b : block.array()) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
