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
}
