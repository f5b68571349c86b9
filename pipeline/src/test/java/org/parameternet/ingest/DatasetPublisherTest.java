package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  /**
   * A complete dataset with a crashed run's staging beside a user's look-alikes: a {@code
   * .staging-notes} folder, a {@code .replaced-mine.txt} and a {@code .pnet-publishing} that is a
   * user's text. Only the staging with pnet's generated name goes.
   */
  @Test
  void lookAlikeNamesAreNotLeftovers() throws IOException {
    java.nio.file.Path out = dir.resolve("out");
    Files.createDirectories(out.resolve("data"));
    Files.writeString(out.resolve(IngestJob.DATASET_MARKER), "{}");
    Path staging = DatasetPublisher.staging(new Path(out.toUri()));
    Files.createDirectories(java.nio.file.Path.of(staging.toUri()).resolve("data"));
    Files.createDirectories(out.resolve(".staging-notes"));
    Files.writeString(out.resolve(".staging-notes/todo.txt"), "mine");
    Files.writeString(out.resolve(".replaced-mine.txt"), "mine");
    Files.writeString(out.resolve(DatasetPublisher.JOURNAL), "a user's text\n");

    assertEquals(List.of(staging.getName()), DatasetPublisher.leftovers(fs, new Path(out.toUri())));
    new DatasetPublisher(fs).removeLeftovers(new Path(out.toUri()));

    assertFalse(Files.exists(java.nio.file.Path.of(staging.toUri())), "pnet's staging removed");
    assertEquals("mine", Files.readString(out.resolve(".staging-notes/todo.txt")));
    assertEquals("mine", Files.readString(out.resolve(".replaced-mine.txt")));
    assertEquals("a user's text\n", Files.readString(out.resolve(DatasetPublisher.JOURNAL)));
    assertTrue(Files.isDirectory(out.resolve("data")), "the complete dataset stays");
  }

  /**
   * Without a marker, the entries a journal names are removed only when the journal is pnet's: a
   * file of that name listing something else neither makes {@code data/} a leftover nor the output
   * a dataset mid-publish.
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

    // pnet's own journal (dataset entry names only): its entries are the half-published dataset
    Files.writeString(out.resolve(DatasetPublisher.JOURNAL), "data\n_dataset.json\n");
    assertTrue(DatasetPublisher.midPublish(fs, target));
    new DatasetPublisher(fs).removeLeftovers(target);
    assertFalse(Files.exists(out.resolve("data")));
    assertFalse(Files.exists(out.resolve(DatasetPublisher.JOURNAL)));
    assertEquals("mine", Files.readString(out.resolve("notes.txt")));
  }
}
