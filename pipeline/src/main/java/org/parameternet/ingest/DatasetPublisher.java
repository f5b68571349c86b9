package org.parameternet.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Moves a staged dataset into its output, and cleans up after a publish that a crash cut short. The
 * order: a journal naming the entries about to arrive, the old marker deleted (from here no reader
 * takes the output for a dataset), the old dataset's own entries moved aside (nothing else in the
 * output is touched), the new entries moved in, the new marker last (from here the new dataset is
 * complete), then the staging, the old entries and the journal deleted.
 *
 * <p>Between the two markers no dataset is readable, but a reader never sees half of one: without
 * the marker the output is not a dataset. A rename of many entries cannot be atomic on HDFS or an
 * object store; a versioned layout behind the marker would make it so.
 */
final class DatasetPublisher {
  /** A publishing step reached, for tests that crash the publish there. */
  interface Steps {
    void reached(String step) throws IOException;
  }

  /** What a pnet dataset holds at its top level: all that publishing may move aside. */
  static final Set<String> ENTRIES =
      Set.of("data", "_ingest", "classes.tsv", "label_map.tsv", IngestJob.DATASET_MARKER);

  static final String STAGING_PREFIX = ".staging-";
  static final String REPLACED_PREFIX = ".replaced-";

  /** Present while a publish runs: the entries it moves in, one per line. */
  static final String JOURNAL = ".pnet-publishing";

  private final FileSystem fs;
  private final Steps steps;

  DatasetPublisher(FileSystem fs) {
    this(fs, step -> {});
  }

  DatasetPublisher(FileSystem fs, Steps steps) {
    this.fs = fs;
    this.steps = steps;
  }

  /** A new staging directory name under {@code out}. */
  static Path staging(Path out) {
    return new Path(out, STAGING_PREFIX + UUID.randomUUID());
  }

  /** The names of {@code out}'s children that a cut-short publish left and pnet may remove. */
  static List<String> leftovers(FileSystem fs, Path out) throws IOException {
    List<String> own = new ArrayList<>();
    if (!fs.exists(out)) {
      return own;
    }
    boolean complete = fs.exists(new Path(out, IngestJob.DATASET_MARKER));
    List<String> journaled = journal(fs, out);
    for (FileStatus child : fs.listStatus(out)) {
      String name = child.getPath().getName();
      if (name.startsWith(STAGING_PREFIX)
          || name.startsWith(REPLACED_PREFIX)
          || name.equals(JOURNAL)
          || (!complete && journaled.contains(name))) {
        own.add(name);
      }
    }
    return own;
  }

  /**
   * Removes what a cut-short publish left in {@code out} (call under the output's lock): staging
   * and set-aside directories, and without a marker the entries the journal says it moved in.
   */
  void removeLeftovers(Path out) throws IOException {
    List<String> own = leftovers(fs, out);
    own.remove(JOURNAL);
    for (String name : own) {
      fs.delete(new Path(out, name), true);
    }
    fs.delete(new Path(out, JOURNAL), false);
  }

  /** Moves the dataset staged in {@code staging} into {@code out}, replacing the one there. */
  void publish(Path staging, Path out) throws IOException {
    List<String> arriving = new ArrayList<>();
    for (FileStatus child : fs.listStatus(staging)) {
      arriving.add(child.getPath().getName());
    }
    try (OutputStream journal = fs.create(new Path(out, JOURNAL), true)) {
      journal.write((String.join("\n", arriving) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    steps.reached("journal written");
    fs.delete(new Path(out, IngestJob.DATASET_MARKER), false);
    steps.reached("old marker deleted");
    Path aside = new Path(out, REPLACED_PREFIX + UUID.randomUUID());
    for (FileStatus child : fs.listStatus(out)) {
      String name = child.getPath().getName();
      if (ENTRIES.contains(name)) {
        fs.mkdirs(aside);
        rename(child.getPath(), new Path(aside, name));
        steps.reached("old " + name + " moved aside");
      }
    }
    for (String name : arriving) {
      if (!name.equals(IngestJob.DATASET_MARKER)) {
        rename(new Path(staging, name), new Path(out, name));
        steps.reached("new " + name + " moved in");
      }
    }
    rename(new Path(staging, IngestJob.DATASET_MARKER), new Path(out, IngestJob.DATASET_MARKER));
    steps.reached("new marker moved in");
    fs.delete(staging, true);
    steps.reached("staging deleted");
    fs.delete(aside, true);
    steps.reached("old dataset deleted");
    fs.delete(new Path(out, JOURNAL), false);
  }

  private static List<String> journal(FileSystem fs, Path out) throws IOException {
    Path file = new Path(out, JOURNAL);
    if (!fs.exists(file)) {
      return List.of();
    }
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("could not move " + from + " to " + to);
    }
  }
}
