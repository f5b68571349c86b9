package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
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
    String earlierStaging = ".staging-" + java.util.UUID.randomUUID();
    Files.createDirectories(out.resolve(earlierStaging + "/data"));
    String temporary = AtomicFile.TEMPORARY_PREFIX + java.util.UUID.randomUUID();
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
   * Without a manifest, the entries a journal names are removed only when the journal is pnet's: a
   * file of that name listing something else neither makes {@code data/} a leftover nor the output
   * a data set mid-publish. (An earlier pnet's journal listed what it moved in, the manifest too.)
   */
  @Test
  void aForeignJournalNamesNothingForRemoval() throws IOException {
    java.nio.file.Path out = dir.resolve("out2");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve("notes.txt"), "mine");
    Files.writeString(out.resolve(DatasetPublisher.JOURNAL), "data\nnotes.txt\n");
    Path target = new Path(out.toUri());

    assertEquals(List.of(), DatasetPublisher.leftovers(fs, target));
    assertFalse(DatasetPublisher.midPublish(fs, target));
    new DatasetPublisher(fs).removeLeftovers(target);
    assertTrue(Files.isDirectory(out.resolve("data")));
    assertEquals("mine", Files.readString(out.resolve("notes.txt")));
    assertTrue(Files.exists(out.resolve(DatasetPublisher.JOURNAL)));

    // pnet's own journal (data set entry names only): its entries are a half-published data set
    Files.writeString(out.resolve(DatasetPublisher.JOURNAL), "data\n_dataset.json\n");
    assertTrue(DatasetPublisher.midPublish(fs, target));
    new DatasetPublisher(fs).removeLeftovers(target);
    assertFalse(Files.exists(out.resolve("data")));
    assertFalse(Files.exists(out.resolve(DatasetPublisher.JOURNAL)));
    assertEquals("mine", Files.readString(out.resolve("notes.txt")));
  }

  /**
   * A journal of entries the readable data set still uses (a crash before the manifest was
   * replaced) removes nothing of it: only the journal goes.
   */
  @Test
  void aJournalNeverRemovesTheReadableDataSet() throws IOException {
    java.nio.file.Path out = dir.resolve("out3");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve("classes.tsv"), "index\twnid\tname\n");
    Files.writeString(out.resolve(DatasetLayout.MANIFEST), "{\"classes\": 1}"); // before versions
    Files.writeString(out.resolve(DatasetPublisher.JOURNAL), "data\nclasses.tsv\n");
    Path target = new Path(out.toUri());

    assertEquals(List.of(DatasetPublisher.JOURNAL), DatasetPublisher.leftovers(fs, target));
    new DatasetPublisher(fs).removeLeftovers(target);
    assertTrue(Files.isDirectory(out.resolve("data")));
    assertTrue(Files.exists(out.resolve("classes.tsv")));
    assertTrue(DatasetLayout.read(fs, target).version().isEmpty());
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
    DatasetManifest replacement = DatasetManifest.read(fs, manifest);
    new DatasetManifest(
            null, "new", null, null, 3, null, null, 0, null, 0, null, replacement.schema())
        .replace(fs, manifest);

    DatasetManifest read = DatasetManifest.read(fs, manifest);
    assertEquals("new", read.format());
    assertEquals(3, read.classes());
    try (var children = Files.list(out)) {
      assertEquals(
          List.of(DatasetLayout.MANIFEST),
          children.map(c -> c.getFileName().toString()).toList(),
          "no temporary and no stale checksum");
    }
  }
}
