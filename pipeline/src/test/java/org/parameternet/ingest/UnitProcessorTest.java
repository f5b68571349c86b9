package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.data.image.ImageOptions;

/** Loose files are read whole at the size the plan listed, on a local disk and through Hadoop. */
class UnitProcessorTest {
  @TempDir Path dir;

  private final UnitProcessor processor =
      new UnitProcessor(new ImageOptions(0, 90, 0, 1_000_000), new Configuration());

  @Test
  void aPlainJpegIsReadWholeAndKeptByteForByte() throws IOException {
    byte[] jpeg = jpeg();
    Path file = write("n00000001/a.jpg", jpeg);

    IngestRecord record = only(file, jpeg.length);

    IngestRecord.Image image = assertInstanceOf(IngestRecord.Image.class, record);
    assertArrayEquals(jpeg, image.jpeg());
  }

  @Test
  void aFileWithAChecksumSidecarIsReadFromTheDiskAsItIs() throws IOException {
    // Hadoop's local file system would verify a .crc sidecar; ingest reads the raw disk, and a
    // stale sidecar (the file was edited after a copyToLocal) must not make a good image fail
    byte[] jpeg = jpeg();
    Path file = write("n00000001/a.jpg", jpeg);
    Files.write(dir.resolve("n00000001/.a.jpg.crc"), new byte[] {'c', 'r', 'c', 0, 0, 2, 0, 0});

    assertInstanceOf(IngestRecord.Image.class, only(file, jpeg.length));
  }

  @Test
  void aFileThatShrankSincePlanningIsQuarantinedWithTheSizes() throws IOException {
    byte[] jpeg = jpeg();
    Path file = write("n00000001/a.jpg", jpeg);

    IngestRecord.Quarantined q =
        assertInstanceOf(IngestRecord.Quarantined.class, only(file, jpeg.length + 10));

    assertEquals("corrupt", q.reason());
    assertTrue(q.detail().contains("shorter than the " + (jpeg.length + 10)), q.detail());
  }

  @Test
  void aFileThatGrewSincePlanningIsQuarantinedNotCutShort() throws IOException {
    byte[] jpeg = jpeg();
    Path file = write("n00000001/a.jpg", jpeg);

    IngestRecord.Quarantined q =
        assertInstanceOf(IngestRecord.Quarantined.class, only(file, jpeg.length - 10));

    assertEquals("corrupt", q.reason());
    assertTrue(q.detail().contains("longer than the " + (jpeg.length - 10)), q.detail());
  }

  private IngestRecord only(Path file, long listedSize) {
    WorkUnit.LabelledFile listed =
        new WorkUnit.LabelledFile(file.toUri().toString(), listedSize, "n00000001", "folder");
    List<IngestRecord> records = processor.process(new WorkUnit.Files(List.of(listed)));
    assertEquals(1, records.size());
    return records.get(0);
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    return Files.write(file, bytes);
  }

  private static byte[] jpeg() throws IOException {
    BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(30, 140, 60));
    g.fillRect(0, 0, 64, 48);
    g.setColor(Color.WHITE);
    g.drawLine(0, 0, 63, 47);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpg", out);
    return out.toByteArray();
  }
}
