package org.parameternet.data.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Synth writes ImageNet's file names, so it writes only where nothing else lives. */
class SynthOutputTest {
  static final SynthSpec SPEC =
      SynthSpec.builder()
          .classes22k(4)
          .classes1k(3)
          .perClass22k(2, 3)
          .perClass1k(2, 2)
          .size(32)
          .seed(3)
          .build();

  @TempDir Path dir;

  private static void synth(Path out) throws IOException {
    SynthWriter.write(
        FileSystem.getLocal(new Configuration()), new org.apache.hadoop.fs.Path(out.toUri()), SPEC);
  }

  @Test
  void aRealArchiveAtTheSyntheticNameIsRefusedAndKept() throws IOException {
    Path real = dir.resolve("in1k").resolve("ILSVRC2012_img_train.tar");
    Files.createDirectories(real.getParent());
    Files.writeString(real, "REAL");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> synth(dir));
    assertTrue(
        e.getMessage().contains("in1k")
            && e.getMessage().contains("not an earlier pnet synth output"),
        e.getMessage());
    assertEquals("REAL", Files.readString(real));
    assertEquals(1, Files.list(dir).count(), "nothing written beside it");
  }

  @Test
  void anUnrelatedFileMakesTheFolderForeign() throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "mine");
    assertThrows(IllegalArgumentException.class, () -> synth(dir));
    assertEquals("mine", Files.readString(dir.resolve("notes.txt")));
  }

  @Test
  void anEarlierSynthOutputIsRewritten() throws IOException {
    Path out = dir.resolve("synth");
    synth(out);
    long size = Files.size(out.resolve("in1k").resolve("ILSVRC2012_img_train.tar"));
    synth(out);
    assertEquals(size, Files.size(out.resolve("in1k").resolve("ILSVRC2012_img_train.tar")));
    // one a crash cut short before its manifest: the marker still names it synth's own
    Files.writeString(out.resolve("notes.txt"), "mine"); // a user's file beside synth's own
    // synth.json here is the manifest synth itself wrote into this test's own temporary folder
    Files.delete(out.resolve("synth.json"));
    synth(out);
    assertTrue(Files.exists(out.resolve("synth.json")));
    assertEquals("mine", Files.readString(out.resolve("notes.txt")), "synth never deletes");
  }

  @Test
  void anOutputThatIsAFileIsRefused() throws IOException {
    Path file = dir.resolve("file");
    Files.writeString(file, "x");
    assertThrows(IllegalArgumentException.class, () -> synth(file));
    assertEquals("x", Files.readString(file));
  }
}
