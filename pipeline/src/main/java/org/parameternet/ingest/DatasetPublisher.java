package org.parameternet.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.AtomicFile;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.data.shards.DatasetManifest;

/**
 * Publishes a data set written into a new version directory of its output, and cleans up after a
 * publish that a crash cut short. The order: a journal naming the old data set's entries (its
 * version directory, or the files of a data set from before versions), the manifest replaced in one
 * step (from here readers get the new data set, before it the old one), the old entries deleted,
 * the journal deleted. No step touches the data set that readers get.
 */
final class DatasetPublisher {
  /** A publishing step reached, for tests that crash the publish there. */
  interface Steps {
    void reached(String step) throws IOException;
  }

  /** Present while a publish deletes the old data set: its entries, one per line. */
  static final String JOURNAL = ".pnet-publishing";

  /**
   * The names earlier pnet versions gave staging and set-aside directories: a prefix and a random
   * UUID. Still cleaned up, and only these, so a user's {@code .staging-notes} is never taken for
   * one.
   */
  private static final java.util.regex.Pattern EARLIER_DIRECTORY =
      java.util.regex.Pattern.compile(
          "\\.(staging|replaced)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private final FileSystem fs;
  private final Steps steps;

  DatasetPublisher(FileSystem fs) {
    this(fs, step -> {});
  }

  DatasetPublisher(FileSystem fs, Steps steps) {
    this.fs = fs;
    this.steps = steps;
  }

  /**
   * The names of {@code out}'s children that a cut-short ingest or publish left and pnet may
   * remove: version directories the manifest does not name, temporary manifests, earlier versions'
   * staging directories, and the journal with the entries it lists that are not the readable data
   * set's. Nothing else, whatever its name looks like.
   */
  static List<String> leftovers(FileSystem fs, Path out) throws IOException {
    List<String> own = new ArrayList<>();
    if (!fs.exists(out)) {
      return own;
    }
    Set<String> live = readable(fs, out);
    List<String> journaled = journal(fs, out);
    for (FileStatus child : fs.listStatus(out)) {
      String name = child.getPath().getName();
      if (live.contains(name) || name.equals(DatasetLayout.MANIFEST)) {
        continue;
      }
      if (DatasetLayout.isVersionName(name)
          || AtomicFile.isTemporary(name)
          || EARLIER_DIRECTORY.matcher(name).matches()
          || (name.equals(JOURNAL) && !journaled.isEmpty())
          || journaled.contains(name)) {
        own.add(name);
      }
    }
    return own;
  }

  /** A journal this class wrote is in {@code out}: a publish there was cut short. */
  static boolean midPublish(FileSystem fs, Path out) throws IOException {
    return !journal(fs, out).isEmpty();
  }

  /** Removes what {@link #leftovers} names in {@code out} (call under the output's lock). */
  void removeLeftovers(Path out) throws IOException {
    List<String> own = leftovers(fs, out);
    boolean journal = own.remove(JOURNAL);
    for (String name : own) {
      fs.delete(new Path(out, name), true);
    }
    if (journal) {
      // Last, so a crash here leaves the journal and the next run finishes the cleanup.
      fs.delete(new Path(out, JOURNAL), false);
    }
  }

  /**
   * Makes {@code staged} (a version directory of its root, complete) the data set readers get,
   * described by {@code manifest}, and deletes the one it replaces.
   */
  void publish(DatasetLayout staged, DatasetManifest manifest) throws IOException {
    Path out = staged.root();
    String version = staged.version().orElseThrow();
    List<String> retired = new ArrayList<>(readable(fs, out));
    retired.remove(version);
    if (!retired.isEmpty()) {
      try (OutputStream journal = fs.create(new Path(out, JOURNAL), true)) {
        journal.write((String.join("\n", retired) + "\n").getBytes(StandardCharsets.UTF_8));
      }
      steps.reached("journal written");
    }
    manifest.withVersion(version).replace(fs, staged.manifest());
    steps.reached("manifest replaced");
    for (String name : retired) {
      fs.delete(new Path(out, name), true);
      steps.reached("old " + name + " deleted");
    }
    if (!retired.isEmpty()) {
      fs.delete(new Path(out, JOURNAL), false);
      steps.reached("journal deleted");
    }
  }

  /**
   * The entries of {@code out} that make up the data set its manifest describes: the version
   * directory, or the root entries of a data set from before versions; none without a manifest.
   */
  private static Set<String> readable(FileSystem fs, Path out) throws IOException {
    Set<String> live = new HashSet<>();
    if (!DatasetLayout.isDataset(fs, out)) {
      return live;
    }
    DatasetLayout layout = DatasetLayout.read(fs, out);
    if (layout.version().isPresent()) {
      live.add(layout.version().get());
    } else {
      for (String name : DatasetLayout.UNVERSIONED_ENTRIES) {
        if (fs.exists(new Path(out, name))) {
          live.add(name);
        }
      }
    }
    return live;
  }

  /**
   * The entries the journal in {@code out} lists, or none when there is no journal or it is not one
   * pnet wrote: a file of that name holding anything but data set entry names is a user's. (Earlier
   * versions listed the entries a publish moved in, the manifest among them.)
   */
  private static List<String> journal(FileSystem fs, Path out) throws IOException {
    Path file = new Path(out, JOURNAL);
    if (!fs.exists(file)
        || fs.getFileStatus(file).isDirectory()
        || fs.getFileStatus(file).getLen() > 4096) {
      return List.of();
    }
    List<String> names;
    try (InputStream in = fs.open(file)) {
      names = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
    boolean ours =
        !names.isEmpty()
            && names.stream()
                .allMatch(
                    n ->
                        DatasetLayout.UNVERSIONED_ENTRIES.contains(n)
                            || n.equals(DatasetLayout.MANIFEST)
                            || DatasetLayout.isVersionName(n));
    return ours ? names : List.of();
  }
}
