package org.parameternet.ingest;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.shards.DatasetLayout;

/**
 * Checks an ingest's output before any work: it must be absent, empty, or a pnet dataset (it holds
 * {@code _dataset.json}), and it must not overlap the source. Ingest publishes by moving entries of
 * the output aside, so anything else there (a user's archive, label files, notes) would be lost.
 */
final class OutputGuard {
  private OutputGuard() {}

  static void check(FileSystem outFs, Path out, FileSystem sourceFs, Path source)
      throws IOException {
    String realOut = real(outFs, out);
    String realSource = real(sourceFs, source);
    if (within(realOut, realSource) || within(realSource, realOut)) {
      throw new IllegalArgumentException(
          "the output "
              + out
              + " and the source "
              + source
              + " overlap (resolved: "
              + realOut
              + " and "
              + realSource
              + "): ingest writes and replaces its output, so it must lie outside the source");
    }
    if (!outFs.exists(out)) {
      return;
    }
    if (!outFs.getFileStatus(out).isDirectory()) {
      throw new IllegalArgumentException("the output " + out + " exists and is a file");
    }
    if (DatasetLayout.isDataset(outFs, out) || DatasetPublisher.midPublish(outFs, out)) {
      return; // a pnet dataset (reused, or replaced with overwrite), or one a crash left
      // mid-publish
    }
    // What an interrupted pnet ingest left is its own to clean up; anything else is not.
    List<String> own = DatasetPublisher.leftovers(outFs, out);
    List<String> foreign = new ArrayList<>();
    // Through the raw file system on local disks: the checksummed one hides .crc files, and a
    // stray checksum (._dataset.json.crc) would otherwise meet the manifest publishing writes
    FileSystem listing = outFs instanceof LocalFileSystem local ? local.getRawFileSystem() : outFs;
    for (FileStatus child : listing.listStatus(out)) {
      String name = child.getPath().getName();
      // Hadoop's checksum of a file of ours (".journal.crc") is ours too
      String checked =
          name.startsWith(".") && name.endsWith(".crc")
              ? name.substring(1, name.length() - ".crc".length())
              : name;
      if (!own.contains(checked) && !checked.equals(IngestJob.LOCK)) {
        foreign.add(name);
      }
    }
    if (!foreign.isEmpty()) {
      throw new IllegalArgumentException(
          "the output "
              + out
              + " is not empty and not a pnet dataset (no "
              + DatasetLayout.MANIFEST
              + "); it holds "
              + String.join(", ", foreign.subList(0, Math.min(5, foreign.size())))
              + (foreign.size() > 5 ? " and " + (foreign.size() - 5) + " more" : "")
              + ". Choose an empty or new directory: nothing was written");
    }
  }

  /** {@code inner} is {@code outer} or lies below it. */
  private static boolean within(String inner, String outer) {
    String prefix = outer.endsWith("/") ? outer : outer + "/";
    return inner.equals(outer) || inner.startsWith(prefix);
  }

  /**
   * The path with {@code ..} and symbolic links resolved: the longest existing prefix resolved by
   * the FileSystem (for {@code file:}, by the operating system, which Hadoop's local FileSystem
   * leaves to it), the rest appended.
   */
  private static String real(FileSystem fs, Path path) throws IOException {
    Path qualified = fs.makeQualified(path);
    Path existing = qualified;
    List<String> rest = new ArrayList<>();
    while (existing != null && !fs.exists(existing)) {
      rest.add(0, existing.getName());
      existing = existing.getParent();
    }
    String resolved;
    if (existing == null) {
      resolved = "";
    } else if ("file".equals(qualified.toUri().getScheme())) {
      resolved = "file:" + Paths.get(existing.toUri()).toRealPath();
    } else {
      resolved = fs.resolvePath(existing).toString();
    }
    StringBuilder s = new StringBuilder(resolved);
    for (String name : rest) {
      s.append(s.toString().endsWith("/") ? "" : "/").append(name);
    }
    return s.toString();
  }
}
