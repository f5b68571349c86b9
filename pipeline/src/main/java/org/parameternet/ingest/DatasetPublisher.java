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

  /**
   * The names this class gives staging and set-aside directories: a prefix and a random UUID. Only
   * these count as leftovers, so a user's {@code .staging-notes} is never taken for one.
   */
  private static final java.util.regex.Pattern OWN_DIRECTORY =
      java.util.regex.Pattern.compile(
          "("
              + java.util.regex.Pattern.quote(STAGING_PREFIX)
              + "|"
              + java.util.regex.Pattern.quote(REPLACED_PREFIX)
              + ")[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

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

  /**
   * The names of {@code out}'s children that a cut-short publish left and pnet may remove: staging
   * and set-aside directories by the names this class generates, the journal if it is one this
   * class wrote (only dataset entry names in it), and, while no marker says a dataset is complete,
   * the dataset entries that journal lists. Nothing else, whatever its name looks like.
   */
  static List<String> leftovers(FileSystem fs, Path out) throws IOException {
    List<String> own = new ArrayList<>();
    if (!fs.exists(out)) {
      return own;
    }
    boolean complete = fs.exists(new Path(out, IngestJob.DATASET_MARKER));
    List<String> journaled = journal(fs, out);
    for (FileStatus child : fs.listStatus(out)) {
      String name = child.getPath().getName();
      if (OWN_DIRECTORY.matcher(name).matches()
          || (name.equals(JOURNAL) && !journaled.isEmpty())
          || (!complete && journaled.contains(name))) {
        own.add(name);
      }
    }
    return own;
  }

  /** A journal this class wrote is in {@code out}: a publish there was cut short. */
  static boolean midPublish(FileSystem fs, Path out) throws IOException {
    return !journal(fs, out).isEmpty();
  }

  /**
   * Removes what a cut-short publish left in {@code out} (call under the output's lock): staging
   * and set-aside directories, and without a marker the entries the journal says it moved in.
   */
  void removeLeftovers(Path out) throws IOException {
    List<String> own = leftovers(fs, out);
    boolean journal = own.remove(JOURNAL);
    for (String name : own) {
      // Only what leftovers() names: this class's own directory names, or dataset entries a
      // journal of ours lists while the output holds no complete dataset.
      fs.delete(new Path(out, name), true);
    }
    if (journal) {
      // Last, so a crash here leaves the journal and the next run finishes the cleanup.
      fs.delete(new Path(out, JOURNAL), false);
    }
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
    fs.delete(new Path(out, JOURNAL), false); // written at the start of this publish
  }

  /**
   * The entries the journal in {@code out} lists, or none when there is no journal or it is not one
   * this class wrote (a file of that name holding anything but dataset entry names is a user's).
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
    return !names.isEmpty() && ENTRIES.containsAll(names) ? names : List.of();
  }

  private void rename(Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("could not move " + from + " to " + to);
    }
  }
}
