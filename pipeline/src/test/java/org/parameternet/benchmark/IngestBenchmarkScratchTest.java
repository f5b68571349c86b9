package org.parameternet.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench ingest's cleanup removes what it wrote in its scratch folder and nothing else. */
class IngestBenchmarkScratchTest {
  @TempDir Path dir;

  private Path scratchWithOwnEntries() throws IOException {
    Path work = Files.createDirectories(dir.resolve("pnet-bench-ingest123"));
    for (String own :
        new String[] {
          "inputs", "timed-input", "small-input", "first-job", "warm-up-3", "end-to-end-0"
        }) {
      Files.writeString(Files.createDirectories(work.resolve(own)).resolve("x.jpg"), "x");
    }
    return work;
  }

  @Test
  void aForeignFileAndTheFolderStay() throws IOException {
    Path work = scratchWithOwnEntries();
    Files.writeString(work.resolve("notes.txt"), "mine");
    Files.createDirectories(work.resolve("end-to-end-final")).resolve("keep.txt");
    assertFalse(IngestBenchmark.removeScratch(work));
    assertEquals("mine", Files.readString(work.resolve("notes.txt")));
    assertTrue(Files.isDirectory(work.resolve("end-to-end-final")), "not a name bench writes");
    assertFalse(Files.exists(work.resolve("inputs")));
    assertFalse(Files.exists(work.resolve("end-to-end-0")));
  }

  @Test
  void itsOwnScratchGoesWhole() throws IOException {
    Path work = scratchWithOwnEntries();
    assertTrue(IngestBenchmark.removeScratch(work));
    assertFalse(Files.exists(work));
  }

  @Test
  void aJobOutputLosesOnlyTheDatasetIngestWrote() throws IOException {
    Path out = Files.createDirectories(dir.resolve("end-to-end-0"));
    Files.writeString(out.resolve("_dataset.json"), "{}");
    Files.writeString(out.resolve("._dataset.json.crc"), "crc");
    Path version = Files.createDirectories(out.resolve("v-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
    Files.writeString(version.resolve("classes.tsv"), "n0\t0");
    Files.writeString(out.resolve("v-notes.txt"), "mine");

    assertFalse(IngestBenchmark.removeJobOutput(out));

    assertEquals("mine", Files.readString(out.resolve("v-notes.txt")));
    assertFalse(Files.exists(out.resolve("_dataset.json")));
    assertFalse(Files.exists(version));
    // the foreign file this test wrote above, removed by the test itself: with it gone the folder
    // is empty, and only then does removeJobOutput take the folder
    Files.delete(out.resolve("v-notes.txt"));
    assertTrue(IngestBenchmark.removeJobOutput(out), "an empty output folder goes");
    assertFalse(Files.exists(out));
  }
}
