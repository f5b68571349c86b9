package org.parameternet.data;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Makes what was written survive a power loss before it is published. On a local disk a rename can
 * reach the disk before the renamed file's data does (ext4, xfs), so a crash can leave a published
 * name holding an empty or truncated file: each file, and the directory holding a rename, is
 * fsynced first. HDFS has acknowledged every block on close and object stores on PUT, so there this
 * does nothing.
 */
public final class Durable {
  private Durable() {}

  /** fsyncs the file or directory at {@code path} when {@code fs} is a local disk. */
  public static void sync(FileSystem fs, Path path) throws IOException {
    File file = localFile(fs, path);
    if (file != null) {
      force(file.toPath());
    }
  }

  /** fsyncs every file and directory below {@code dir}, then {@code dir}, on a local disk. */
  public static void syncTree(FileSystem fs, Path dir) throws IOException {
    File root = localFile(fs, dir);
    if (root == null) {
      return;
    }
    try (Stream<java.nio.file.Path> all = Files.walk(root.toPath())) {
      // deepest first, so a directory is synced after what it holds
      for (java.nio.file.Path p :
          all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        force(p);
      }
    }
  }

  private static void force(java.nio.file.Path path) throws IOException {
    // Linux allows opening a directory read-only and fsyncing it (what Lucene does)
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static File localFile(FileSystem fs, Path path) {
    if (fs instanceof LocalFileSystem local) {
      return local.pathToFile(path);
    }
    if (fs instanceof RawLocalFileSystem raw) {
      return raw.pathToFile(path);
    }
    return null;
  }
}
