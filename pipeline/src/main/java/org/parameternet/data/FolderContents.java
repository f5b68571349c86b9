package org.parameternet.data;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;

/** What a folder holds, in a few words, for the messages that refuse an output. */
public final class FolderContents {
  private FolderContents() {}

  /** The first five names and how many more: {@code "a, b, c, d, e and 12 more"}. */
  public static String describe(FileStatus[] entries) {
    List<String> names = new ArrayList<>();
    for (FileStatus e : entries) {
      names.add(e.getPath().getName());
    }
    return String.join(", ", names.subList(0, Math.min(5, names.size())))
        + (names.size() > 5 ? " and " + (names.size() - 5) + " more" : "");
  }
}
