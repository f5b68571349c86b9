package org.parameternet.ingest;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.AtomicFile;
import org.parameternet.data.Durable;
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
  private static final Pattern EARLIER_DIRECTORY =
      Pattern.compile(
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
   * staging directories, a journal of this class's format, and the entries it retired once the
   * manifest names the version that journal's publish brought in. Nothing else, whatever its name
   * looks like: a user's {@code v-notes/} or a {@code .pnet-publishing} in another format stays.
   */
  static List<String> leftovers(FileSystem fs, Path out) throws IOException {
    List<String> own = new ArrayList<>();
    if (!fs.exists(out)) {
      return own;
    }
    Set<String> live = readable(fs, out);
    Optional<Journal> journal = journal(fs, out);
    // The journal's entries are the replaced data set's only after the swap to its version; before
    // it they are still the readable data set and stay.
    List<String> retired =
        journal.filter(j -> live.contains(j.replacement())).map(Journal::retired).orElse(List.of());
    for (FileStatus child : fs.listStatus(out)) {
      String name = child.getPath().getName();
      if (live.contains(name) || name.equals(DatasetLayout.MANIFEST)) {
        continue;
      }
      if (DatasetLayout.isVersionName(name)
          || AtomicFile.isTemporary(name)
          || EARLIER_DIRECTORY.matcher(name).matches()
          || (name.equals(JOURNAL) && journal.isPresent())
          || retired.contains(name)) {
        own.add(name);
      }
    }
    return own;
  }

  /** A journal this class wrote is in {@code out}: a publish there was cut short. */
  static boolean midPublish(FileSystem fs, Path out) throws IOException {
    return journal(fs, out).isPresent();
  }

  /** Removes what {@link #leftovers} names in {@code out} (call under the output's lock). */
  void removeLeftovers(Path out) throws IOException {
    List<String> own = leftovers(fs, out);
    boolean journal = own.remove(JOURNAL);
    for (String name : own) {
      // Only names leftovers() proved pnet's: generated names, or entries a journal of ours
      // retired and the manifest no longer uses.
      fs.delete(new Path(out, name), true);
    }
    if (journal) {
      // Last, so a crash here leaves the journal and the next run finishes the cleanup. It is
      // ours: journal() accepted only this class's format.
      fs.delete(new Path(out, JOURNAL), false);
    }
  }

  /**
   * Refuses, before any work, an output where a publish could not write its journal: a file of that
   * name which is not this class's (after {@link #removeLeftovers} no journal of ours is left).
   */
  void checkJournalFree(Path out) throws IOException {
    if (fs.exists(new Path(out, JOURNAL))) {
      throw new IllegalArgumentException(
          new Path(out, JOURNAL)
              + " is not a pnet publish journal, and publishing writes one at that name; move it"
              + " elsewhere: nothing was written");
    }
  }

  /**
   * Makes {@code staged} (a version directory of its root, complete) the data set readers get,
   * described by {@code manifest}, and deletes the one it replaces.
   */
  void publish(DatasetLayout staged, DatasetManifest manifest) throws IOException {
    Path out = staged.root();
    String version = staged.version().orElseThrow();
    if (!version.equals(manifest.version())) {
      throw new IllegalArgumentException(
          "the manifest names version " + manifest.version() + ", not the staged " + version);
    }
    List<String> retired = new ArrayList<>(readable(fs, out));
    retired.remove(version);
    // The staged shards reach the disk before the manifest names them and the old ones go
    Durable.syncTree(fs, new Path(out, version));
    if (!retired.isEmpty()) {
      // Create-new: never over a file someone else put at this name (checkJournalFree refused it)
      try (OutputStream journal = fs.create(new Path(out, JOURNAL), false)) {
        journal.write(new Journal(version, retired).text().getBytes(StandardCharsets.UTF_8));
      }
      Durable.sync(fs, new Path(out, JOURNAL));
      steps.reached("journal written");
    }
    manifest.replace(fs, staged.manifest());
    steps.reached("manifest replaced");
    for (String name : retired) {
      // The data set the old manifest described (readable()), which the new one replaces
      fs.delete(new Path(out, name), true);
      steps.reached("old " + name + " deleted");
    }
    if (!retired.isEmpty()) {
      // Created above by this call with create-new, so never a file someone else put here: with
      // one there, the create fails and nothing is touched (DatasetPublisherTest)
      fs.delete(new Path(out, JOURNAL), false);
      steps.reached("journal deleted");
    }
  }

  /**
   * The entries of {@code out} that make up the data set its manifest describes: the version
   * directory, or, for a data set from before versions, the root entries its manifest says it has;
   * none without a manifest.
   */
  private static Set<String> readable(FileSystem fs, Path out) throws IOException {
    Set<String> live = new HashSet<>();
    if (!DatasetLayout.isDataset(fs, out)) {
      return live;
    }
    DatasetManifest manifest = DatasetManifest.read(fs, DatasetLayout.manifestOf(out));
    if (manifest.version() != null) {
      live.add(manifest.version());
      return live;
    }
    for (String name : DatasetLayout.unversionedEntries(manifest.labelMap() != null)) {
      if (fs.exists(new Path(out, name))) {
        live.add(name);
      }
    }
    return live;
  }

  /**
   * A publish's journal: the version it brings in, then the entries it retires.
   *
   * @param replacement the version directory the new manifest names
   */
  private record Journal(String replacement, List<String> retired) {
    private static final String HEADER = "pnet-publishing ";

    String text() {
      return HEADER + replacement + "\n" + String.join("\n", retired) + "\n";
    }

    /** The journal {@code text} holds, or empty when it is not one (a user's file). */
    static Optional<Journal> parse(String text) {
      List<String> lines = text.lines().toList();
      if (lines.size() < 2
          || !lines.get(0).startsWith(HEADER)
          || !DatasetLayout.isVersionName(lines.get(0).substring(HEADER.length()))) {
        return Optional.empty();
      }
      List<String> retired = lines.subList(1, lines.size());
      boolean entries =
          retired.stream()
              .allMatch(
                  n ->
                      DatasetLayout.UNVERSIONED_ENTRIES.contains(n)
                          || DatasetLayout.isVersionName(n));
      return entries
          ? Optional.of(new Journal(lines.get(0).substring(HEADER.length()), List.copyOf(retired)))
          : Optional.empty();
    }
  }

  /** The journal in {@code out}, or empty when there is none or the file there is not one. */
  private static Optional<Journal> journal(FileSystem fs, Path out) throws IOException {
    Path file = new Path(out, JOURNAL);
    FileStatus status;
    try {
      status = fs.getFileStatus(file);
    } catch (FileNotFoundException e) {
      return Optional.empty();
    }
    if (status.isDirectory() || status.getLen() > 4096) {
      return Optional.empty();
    }
    try (InputStream in = fs.open(file)) {
      return Journal.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
