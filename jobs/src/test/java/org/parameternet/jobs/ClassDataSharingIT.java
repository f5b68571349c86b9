package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/pnet maps a class-data archive into the JVM as trusted code, so it uses only a folder that
 * this user alone can write: a shared one (another user could plant an archive there) turns sharing
 * off with a warning, and a folder it creates is private.
 */
class ClassDataSharingIT {
  private record Result(int code, String err) {}

  private static Result synth(Path cdsDir, Path out) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
            "../bin/pnet",
            "synth",
            "--out",
            out.toUri().toString(),
            "--classes-22k",
            "3",
            "--classes-1k",
            "2",
            "--min-per-class",
            "2",
            "--max-per-class",
            "2",
            "--train-per-class",
            "2",
            "--val-per-class",
            "1",
            "--size",
            "32");
    pb.environment().put("PNET_CDS_DIR", cdsDir.toString());
    pb.environment().remove("PNET_CDS");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), err);
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  @Test
  void aFolderOthersCanWriteIsNotUsed(@TempDir Path dir) throws Exception {
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    Result r = synth(shared, dir.resolve("s1"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("class-data sharing is off"), r.err());
    assertEquals(List.of(), files(shared), "nothing written to or mapped from the shared folder");

    Path own = dir.resolve("own");
    r = synth(own, dir.resolve("s2"));
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("class-data sharing is off"), r.err());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(own)));
    assertFalse(files(own).isEmpty(), "the archive is written into the private folder");
  }
}
