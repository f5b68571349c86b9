package org.parameternet.data.tar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarIndexTest {
  @TempDir java.nio.file.Path dir;

  static byte[] tar(String[] names, byte[][] contents) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (int i = 0; i < names.length; i++) {
        TarArchiveEntry e = new TarArchiveEntry(names[i]);
        e.setSize(contents[i].length);
        out.putArchiveEntry(e);
        out.write(contents[i]);
        out.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void indexesMembersAndTheirBytesCanBeReadBySeeking() throws IOException {
    byte[] inner = tar(new String[] {"n01_1.JPEG", "n01_2.JPEG"}, new byte[][] {{1, 2, 3}, {4}});
    String longName = "n02/" + "x".repeat(150) + ".tar";
    byte[] outer =
        tar(new String[] {"n01.tar", longName, "README"}, new byte[][] {inner, {9, 9}, {7}});
    java.nio.file.Path file = dir.resolve("outer.tar");
    Files.write(file, outer);
    FileSystem fs = FileSystem.getLocal(new Configuration());

    TarIndex index = TarIndex.of(fs, new Path(file.toUri()));
    assertEquals(false, index.truncated());
    List<TarMember> members = index.members();
    assertEquals(
        List.of("n01.tar", longName, "README"), members.stream().map(TarMember::name).toList());
    assertEquals(inner.length, members.get(0).size());
    try (FSDataInputStream in = fs.open(new Path(file.toUri()))) {
      byte[] read = new byte[(int) members.get(0).size()];
      in.readFully(members.get(0).dataOffset(), read);
      assertArrayEquals(inner, read);
    }
    assertEquals(longName.substring(4), members.get(1).baseName());
  }

  @Test
  void aCutOffArchiveKeepsTheMembersBeforeTheCut() throws IOException {
    byte[] outer =
        tar(new String[] {"a.tar", "b.tar"}, new byte[][] {new byte[2000], new byte[3000]});
    java.nio.file.Path file = dir.resolve("cut.tar");
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
      out.write(outer, 0, 3500);
    }
    TarIndex index = TarIndex.of(FileSystem.getLocal(new Configuration()), new Path(file.toUri()));
    assertEquals(List.of("a.tar"), index.members().stream().map(TarMember::name).toList());
    assertEquals(Optional.of("b.tar"), index.cutMember());
  }

  @Test
  void somethingThatIsNotATarIsAnErrorNamingTheFile() throws IOException {
    java.nio.file.Path file = dir.resolve("photo.jpg");
    Files.write(file, new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
    IOException e =
        assertThrows(
            IOException.class,
            () -> TarIndex.of(FileSystem.getLocal(new Configuration()), new Path(file.toUri())));
    assertEquals(true, e.getMessage().contains("photo.jpg"), e.getMessage());
  }
}
