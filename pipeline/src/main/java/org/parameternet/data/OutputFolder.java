package org.parameternet.data;

import java.io.IOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The rule every command's output folder follows (docs/running.md, "Output folders"): it must be
 * absent, empty, or the command's own already, shown by the marker file the command creates there
 * before anything else (or, for folders an earlier pnet wrote before markers, by what that pnet
 * left). Anything else is refused before a byte is written, naming what the folder holds, so a
 * command never replaces a file it did not write.
 */
public final class OutputFolder {
  /** Whether a folder without the marker is an earlier pnet's output of this kind. */
  @FunctionalInterface
  public interface EarlierOutput {
    boolean test(FileSystem fs, Path folder) throws IOException;
  }

  private OutputFolder() {}

  /**
   * Claims {@code folder}: refuses it unless absent, empty, marked with {@code marker} or an {@code
   * earlier} output; then creates it and the marker. {@code key} names the setting ({@code
   * synth.out}), {@code kind} what the folder must be ({@code "a pnet training run"}).
   */
  public static void claim(
      FileSystem fs, Path folder, String marker, String key, String kind, EarlierOutput earlier)
      throws IOException {
    Path markerPath = new Path(folder, marker);
    if (fs.exists(folder)) {
      if (!fs.getFileStatus(folder).isDirectory()) {
        throw new IllegalArgumentException(key + " " + folder + " exists and is a file");
      }
      FileStatus[] entries = fs.listStatus(folder);
      if (entries.length > 0 && !fs.exists(markerPath) && !earlier.test(fs, folder)) {
        throw new IllegalArgumentException(
            key
                + " "
                + folder
                + " holds "
                + FolderContents.describe(entries)
                + " and is not "
                + kind
                + ": give an absent or empty folder, or an earlier one of pnet's");
      }
    }
    fs.mkdirs(folder);
    if (!fs.exists(markerPath)) {
      fs.create(markerPath, false).close();
    }
  }
}
