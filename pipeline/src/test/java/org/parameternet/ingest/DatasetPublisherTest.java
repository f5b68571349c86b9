package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.data.AtomicFile;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.data.shards.DatasetManifest;

/** The publisher's cleanup removes only what it can prove is its own, with foreign files beside. */
class DatasetPublisherTest {
  @TempDir java.nio.file.Path dir;

  private final FileSystem fs = localFs();

  private static FileSystem localFs() {
    try {
      return FileSystem.getLocal(new Configuration());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String version(java.nio.file.Path out) {
    return DatasetLayout.newVersion(new Path(out.toUri())).version().orElseThrow();
  }

  /**
   * A complete data set with a crashed run's version directory, an earlier pnet's staging and a
   * temporary manifest beside a user's look-alikes: a {@code v-notes} and a {@code .staging-notes}
   * folder, a {@code .replaced-mine.txt} and a {@code .pnet-publishing} that is a user's text. Only
   * the entries with pnet's generated names go, and never the version the manifest names.
   */
  @Test
  void lookAlikeNamesAreNotLeftovers() throws IOException {
    java.nio.file.Path out = dir.resolve("out");
    String live = version(out);
    String crashed = version(out);
    Files.createDirectories(out.resolve(live + "/data"));
    Files.writeString(
        out.resolve(DatasetLayout.MANIFEST), "{\"version\": \"" + live + "\", \"classes\": 2}");
    Files.createDirectories(out.resolve(crashed + "/data"));
    String earlierStaging = ".staging-" + UUID.randomUUID();
    Files.createDirectories(out.resolve(earlierStaging + "/data"));
    String temporary = AtomicFile.TEMPORARY_PREFIX + UUID.randomUUID();
    Files.writeString(out.resolve(temporary), "{}");
    Files.createDirectories(out.resolve(".staging-notes"));
    Files.writeString(out.resolve(".staging-notes/todo.txt"), "mine");
    Files.createDirectories(out.resolve("v-notes"));
    Files.writeString(out.resolve(".replaced-mine.txt"), "mine");
    Files.writeString(out.resolve(DatasetPublisher.JOURNAL), "a user's text\n");
    Path target = new Path(out.toUri());

    assertEquals(
        Set.of(crashed, earlierStaging, temporary),
        Set.copyOf(DatasetPublisher.leftovers(fs, target)));
    new DatasetPublisher(fs).removeLeftovers(target);

    for (String gone : List.of(crashed, earlierStaging, temporary)) {
      assertFalse(Files.exists(out.resolve(gone)), gone);
    }
    assertEquals("mine", Files.readString(out.resolve(".staging-notes/todo.txt")));
    assertEquals("mine", Files.readString(out.resolve(".replaced-mine.txt")));
    assertTrue(Files.isDirectory(out.resolve("v-notes")));
    assertEquals("a user's text\n", Files.readString(out.resolve(DatasetPublisher.JOURNAL)));
    assertTrue(Files.isDirectory(out.resolve(live + "/data")), "the readable data set stays");
    assertEquals(live, DatasetLayout.read(fs, target).version().orElseThrow());
  }

  /**
   * A file at the journal's name that is not in pnet's journal format names nothing for removal and
   * does not make the output a data set mid-publish: not a user's list of names, and not an earlier
   * pnet's journal either (which listed entry names only, so a user's file could look like one).
   */
  @Test
  void aForeignJournalNamesNothingForRemoval() throws IOException {
    java.nio.file.Path out = dir.resolve("out2");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve("notes.txt"), "mine");
    Path target = new Path(out.toUri());
    for (String text : List.of("data\nnotes.txt\n", "data\n_dataset.json\n", "data\n")) {
      Files.writeString(out.resolve(DatasetPublisher.JOURNAL), text);

      assertEquals(List.of(), DatasetPublisher.leftovers(fs, target), text);
      assertFalse(DatasetPublisher.midPublish(fs, target));
      new DatasetPublisher(fs).removeLeftovers(target);
      assertTrue(Files.isDirectory(out.resolve("data")));
      assertEquals("mine", Files.readString(out.resolve("notes.txt")));
      assertEquals(text, Files.readString(out.resolve(DatasetPublisher.JOURNAL)));
      // and a publish there refuses before any work rather than write over it
      assertThrows(
          IllegalArgumentException.class, () -> new DatasetPublisher(fs).checkJournalFree(target));
    }
  }

  /**
   * pnet's journal names the version its publish brings in. Once the manifest names that version,
   * the entries the journal retired (the replaced data set's) are leftovers; a user's file beside
   * them stays.
   */
  @Test
  void aJournalRetiresTheReplacedEntriesOnlyAfterTheSwap() throws IOException {
    java.nio.file.Path out = dir.resolve("out5");
    String replacement = version(out);
    Files.createDirectories(out.resolve(replacement + "/data"));
    Files.writeString(
        out.resolve(DatasetLayout.MANIFEST),
        "{\"version\": \"" + replacement + "\", \"classes\": 2}");
    Files.createDirectories(out.resolve("data")); // the replaced data set, from before versions
    Files.writeString(out.resolve("classes.tsv"), "index\twnid\tname\n");
    Files.writeString(out.resolve("notes.txt"), "mine");
    Files.writeString(
        out.resolve(DatasetPublisher.JOURNAL),
        "pnet-publishing " + replacement + "\ndata\nclasses.tsv\n");
    Path target = new Path(out.toUri());

    assertTrue(DatasetPublisher.midPublish(fs, target));
    assertEquals(
        Set.of("data", "classes.tsv", DatasetPublisher.JOURNAL),
        Set.copyOf(DatasetPublisher.leftovers(fs, target)));
    new DatasetPublisher(fs).removeLeftovers(target);
    assertFalse(Files.exists(out.resolve("data")));
    assertFalse(Files.exists(out.resolve("classes.tsv")));
    assertFalse(Files.exists(out.resolve(DatasetPublisher.JOURNAL)));
    assertEquals("mine", Files.readString(out.resolve("notes.txt")));
    assertTrue(Files.isDirectory(out.resolve(replacement + "/data")));
  }

  /**
   * A journal written before the swap (the manifest still names the old data set) removes nothing
   * of it: only the journal goes.
   */
  @Test
  void aJournalNeverRemovesTheReadableDataSet() throws IOException {
    java.nio.file.Path out = dir.resolve("out3");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve("classes.tsv"), "index\twnid\tname\n");
    Files.writeString(out.resolve(DatasetLayout.MANIFEST), "{\"classes\": 1}"); // before versions
    String replacement = version(out);
    Files.createDirectories(out.resolve(replacement + "/data")); // the new one, not yet named
    Files.writeString(
        out.resolve(DatasetPublisher.JOURNAL),
        "pnet-publishing " + replacement + "\ndata\nclasses.tsv\n");
    Path target = new Path(out.toUri());

    assertEquals(
        Set.of(DatasetPublisher.JOURNAL, replacement),
        Set.copyOf(DatasetPublisher.leftovers(fs, target)));
    new DatasetPublisher(fs).removeLeftovers(target);
    assertTrue(Files.isDirectory(out.resolve("data")));
    assertTrue(Files.exists(out.resolve("classes.tsv")));
    assertTrue(DatasetLayout.read(fs, target).version().isEmpty());
  }

  /**
   * A data set from before versions owns {@code label_map.tsv} only when its manifest records a
   * label map: a user's file of that name beside one without is not retired.
   */
  @Test
  void anUnversionedDataSetRetiresOnlyTheEntriesItHas() throws IOException {
    java.nio.file.Path out = dir.resolve("out6");
    Files.createDirectories(out.resolve("data/split=train"));
    Files.createDirectories(out.resolve("_ingest"));
    Files.writeString(out.resolve("classes.tsv"), "index\twnid\tname\n");
    Files.writeString(out.resolve("label_map.tsv"), "mine");
    Files.writeString(out.resolve(DatasetLayout.MANIFEST), "{\"classes\": 1}");
    Path target = new Path(out.toUri());
    DatasetLayout staged = DatasetLayout.newVersion(target);
    Files.createDirectories(java.nio.file.Path.of(staged.data().toUri()));

    new DatasetPublisher(fs)
        .publish(
            staged,
            new DatasetManifest(
                staged.version().orElseThrow(),
                "new",
                null,
                null,
                1,
                null,
                null,
                0,
                null,
                0,
                null,
                null));
    assertEquals("mine", Files.readString(out.resolve("label_map.tsv")));
    for (String gone : List.of("data", "_ingest", "classes.tsv", DatasetPublisher.JOURNAL)) {
      assertFalse(Files.exists(out.resolve(gone)), gone);
    }
    assertEquals(staged.version(), DatasetLayout.read(fs, target).version());
  }

  /**
   * A checksum file at the manifest's checksum name without a manifest is not the checksum of a
   * file being replaced: the replacement refuses and deletes nothing.
   */
  @Test
  void aStrayChecksumIsNotDeleted() throws IOException {
    java.nio.file.Path out = dir.resolve("out7");
    Files.createDirectories(out);
    java.nio.file.Path stray = out.resolve("." + DatasetLayout.MANIFEST + ".crc");
    Files.writeString(stray, "mine");
    Path manifest = new Path(out.resolve(DatasetLayout.MANIFEST).toUri());
    assertThrows(
        IOException.class,
        () ->
            new DatasetManifest(null, "new", null, null, 1, null, null, 0, null, 0, null, null)
                .replace(fs, manifest));
    assertEquals("mine", Files.readString(stray));
    assertFalse(Files.exists(out.resolve(DatasetLayout.MANIFEST)));
    try (var children = Files.list(out)) {
      assertEquals(1, children.count(), "no temporary left");
    }
  }

  /**
   * The manifest is replaced by a rename through the raw local file system: the checksummed file
   * system (which every reader uses) reads the new content, with no checksum left from the old one
   * and no temporary file.
   */
  @Test
  void aReplacedManifestReadsThroughTheChecksummedFileSystem() throws IOException {
    java.nio.file.Path out = dir.resolve("out4");
    Path manifest = new Path(out.resolve(DatasetLayout.MANIFEST).toUri());
    try (var stream = fs.create(manifest, true)) { // with a checksum file, as Hadoop writes
      stream.write("{\"classes\": 1, \"format\": \"old\"}".getBytes());
    }
    assertTrue(Files.exists(out.resolve("." + DatasetLayout.MANIFEST + ".crc")));
    // A user's files with checksum-like names beside: only the manifest's own checksum goes.
    Files.writeString(out.resolve(".notes.txt.crc"), "mine");
    Files.writeString(out.resolve("notes.txt"), "mine");
    Files.writeString(out.resolve("._dataset.json.crc.bak"), "mine");
    DatasetManifest replacement = DatasetManifest.read(fs, manifest);
    new DatasetManifest(
            null, "new", null, null, 3, null, null, 0, null, 0, null, replacement.schema())
        .replace(fs, manifest);

    DatasetManifest read = DatasetManifest.read(fs, manifest);
    assertEquals("new", read.format());
    assertEquals(3, read.classes());
    try (var children = Files.list(out)) {
      assertEquals(
          Set.of(DatasetLayout.MANIFEST, ".notes.txt.crc", "notes.txt", "._dataset.json.crc.bak"),
          Set.copyOf(children.map(c -> c.getFileName().toString()).toList()),
          "no temporary and no stale checksum, the user's files kept");
    }
  }

  /**
   * A publish deletes the journal only because it created it: with a user's file already at the
   * journal's name (a run that skipped checkJournalFree), creating it fails, and the user's file,
   * the old data set and its manifest are all as they were.
   */
  @Test
  void aPublishNeverTakesOverAForeignFileAtTheJournalsName() throws IOException {
    java.nio.file.Path out = dir.resolve("out8");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve("classes.tsv"), "index\twnid\tname\n");
    Files.writeString(out.resolve(DatasetLayout.MANIFEST), "{\"classes\": 1}");
    Files.writeString(out.resolve(DatasetPublisher.JOURNAL), "a user's text\n");
    Path target = new Path(out.toUri());
    DatasetLayout staged = DatasetLayout.newVersion(target);
    Files.createDirectories(java.nio.file.Path.of(staged.data().toUri()));
    DatasetManifest manifest =
        new DatasetManifest(
            staged.version().orElseThrow(),
            "new",
            null,
            null,
            1,
            null,
            null,
            0,
            null,
            0,
            null,
            null);

    assertThrows(IOException.class, () -> new DatasetPublisher(fs).publish(staged, manifest));
    assertEquals("a user's text\n", Files.readString(out.resolve(DatasetPublisher.JOURNAL)));
    assertTrue(Files.isDirectory(out.resolve("data")));
    assertTrue(Files.exists(out.resolve("classes.tsv")));
    assertTrue(DatasetLayout.read(fs, target).version().isEmpty(), "the old manifest still reads");
  }
}
