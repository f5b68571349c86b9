package org.parameternet.data.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ImageProcessorTest {
  private final ImageProcessor processor = new ImageProcessor(ImageOptions.DEFAULTS);

  static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(image, format, out), "no writer for " + format);
    return out.toByteArray();
  }

  static BufferedImage drawn(int width, int height, int type) {
    BufferedImage image = new BufferedImage(width, height, type);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(200, 40, 40));
    g.fillRect(0, 0, width, height);
    g.setColor(new Color(20, 60, 220));
    g.fillOval(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    return image;
  }

  private static BufferedImage decode(byte[] jpeg) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(jpeg));
  }

  @Test
  void resizesTheShorterSideAndReencodesAsRgbJpeg() throws IOException {
    byte[] input = encode(drawn(500, 375, BufferedImage.TYPE_INT_RGB), "jpg");
    ProcessedImage.Accepted out =
        assertInstanceOf(ProcessedImage.Accepted.class, processor.process(input));
    assertEquals(375, out.originalHeight());
    assertEquals(500, out.originalWidth());
    assertEquals(256, out.height());
    assertEquals(341, out.width());
    BufferedImage back = decode(out.jpeg());
    assertEquals(341, back.getWidth());
    assertEquals(3, back.getRaster().getNumBands());
    // Colours survive: the centre is blue, the corner red.
    Color centre = new Color(back.getRGB(170, 128));
    Color corner = new Color(back.getRGB(3, 3));
    assertTrue(centre.getBlue() > 180 && centre.getRed() < 60, centre.toString());
    assertTrue(corner.getRed() > 170 && corner.getBlue() < 70, corner.toString());
  }

  @Test
  void decodesByContentAndConvertsEveryColourModelToRgb() throws IOException {
    byte[][] inputs = {
      encode(drawn(120, 90, BufferedImage.TYPE_INT_RGB), "png"),
      encode(drawn(120, 90, BufferedImage.TYPE_BYTE_GRAY), "jpg"),
      encode(drawn(120, 90, BufferedImage.TYPE_BYTE_INDEXED), "png"),
      encode(drawn(120, 90, BufferedImage.TYPE_INT_ARGB), "png"),
      encode(drawn(120, 90, BufferedImage.TYPE_INT_RGB), "bmp"),
    };
    for (byte[] input : inputs) {
      ProcessedImage.Accepted out =
          assertInstanceOf(ProcessedImage.Accepted.class, processor.process(input));
      assertEquals(256, out.height());
      assertEquals(3, decode(out.jpeg()).getRaster().getNumBands());
    }
  }

  /** A CMYK JPEG (a fixture written by Pillow; Java cannot write one) comes out as RGB. */
  @Test
  void convertsCmykJpegToRgb() throws IOException {
    byte[] cmyk;
    try (var in = getClass().getResourceAsStream("/images/cmyk.jpg")) {
      cmyk = in.readAllBytes();
    }
    ProcessedImage.Accepted out =
        assertInstanceOf(
            ProcessedImage.Accepted.class,
            new ImageProcessor(new ImageOptions(0, 95, 0, 1_000_000)).process(cmyk));
    BufferedImage back = decode(out.jpeg());
    assertEquals(3, back.getRaster().getNumBands());
    Color corner = new Color(back.getRGB(5, 5));
    Color centre = new Color(back.getRGB(60, 45));
    assertTrue(corner.getRed() > 200 && corner.getGreen() < 110, "corner " + corner);
    assertTrue(centre.getBlue() > 150 && centre.getRed() < 90, "centre " + centre);
  }

  @Test
  void keepsTheOriginalSizeWhenAskedTo() throws IOException {
    ImageProcessor keep = new ImageProcessor(new ImageOptions(0, 95, 0, 1_000_000));
    ProcessedImage.Accepted out =
        assertInstanceOf(
            ProcessedImage.Accepted.class,
            keep.process(encode(drawn(77, 55, BufferedImage.TYPE_INT_RGB), "png")));
    assertEquals(55, out.height());
    assertEquals(77, out.width());
  }

  @Test
  void rejectsWithTheRightReason() throws IOException {
    byte[] jpeg = encode(drawn(300, 200, BufferedImage.TYPE_INT_RGB), "jpg");
    assertReason(Rejection.NOT_AN_IMAGE, processor.process("hello, not a picture".getBytes()));
    assertReason(Rejection.CORRUPT, processor.process(Arrays.copyOf(jpeg, jpeg.length / 2)));
    ImageProcessor strict = new ImageProcessor(new ImageOptions(256, 90, 250, 50_000));
    assertReason(Rejection.TOO_MANY_PIXELS, strict.process(jpeg));
    assertReason(
        Rejection.BELOW_MIN_SIZE,
        strict.process(encode(drawn(100, 90, BufferedImage.TYPE_INT_RGB), "jpg")));
  }

  /** A PNG header declaring 30000x30000 pixels is rejected from its header, never decoded. */
  @Test
  void rejectsADecompressionBombFromItsHeader() throws IOException {
    byte[] png = encode(drawn(16, 16, BufferedImage.TYPE_INT_RGB), "png");
    // IHDR data starts at byte 16: width and height as big-endian ints.
    ByteBuffer.wrap(png, 16, 8).putInt(30_000).putInt(30_000);
    ProcessedImage result = processor.process(png);
    assertReason(Rejection.TOO_MANY_PIXELS, result);
    assertTrue(((ProcessedImage.Rejected) result).detail().contains("30000x30000"));
  }

  private static void assertReason(Rejection expected, ProcessedImage result) {
    ProcessedImage.Rejected rejected = assertInstanceOf(ProcessedImage.Rejected.class, result);
    assertEquals(expected, rejected.reason(), rejected.detail());
  }

  /**
   * A JPEG whose frame header (30000x30000 here) follows an RST0 marker, which has no length field:
   * the decoder's own parser skips the marker and finds the frame; a marker walk that reads a
   * length there jumps past it. The frame's size is what the limit judges.
   */
  @Test
  void aFrameHeaderAfterAnRstMarkerIsStillJudgedByItsSize() throws IOException {
    Assumptions.assumeTrue(TurboJpeg.available().isPresent());
    byte[] jpeg = encode(drawn(16, 16, BufferedImage.TYPE_INT_RGB), "jpg");
    int sof = marker(jpeg, 0xC0);
    ByteBuffer.wrap(jpeg, sof + 5, 4).putShort((short) 30_000).putShort((short) 30_000);
    byte[] crafted = new byte[jpeg.length + 2];
    System.arraycopy(jpeg, 0, crafted, 0, 2); // SOI
    crafted[2] = (byte) 0xFF;
    crafted[3] = (byte) 0xD0; // RST0
    System.arraycopy(jpeg, 2, crafted, 4, jpeg.length - 2);
    ProcessedImage result = processor.process(crafted);
    assertReason(Rejection.TOO_MANY_PIXELS, result);
    assertTrue(((ProcessedImage.Rejected) result).detail().contains("30000x30000"));
  }

  /** A comment holding the bytes of a huge frame header is a comment: the real size counts. */
  @Test
  void aFakeFrameHeaderInsideACommentIsIgnored() throws IOException {
    byte[] jpeg = encode(drawn(300, 200, BufferedImage.TYPE_INT_RGB), "jpg");
    byte[] fake = {
      (byte) 0xFF,
      (byte) 0xC0,
      0,
      17,
      8,
      0x75,
      0x30,
      0x75,
      0x30,
      3,
      1,
      0x22,
      0,
      2,
      0x11,
      1,
      3,
      0x11,
      1
    };
    byte[] crafted = new byte[jpeg.length + 4 + fake.length];
    System.arraycopy(jpeg, 0, crafted, 0, 2);
    crafted[2] = (byte) 0xFF;
    crafted[3] = (byte) 0xFE; // COM
    crafted[4] = 0;
    crafted[5] = (byte) (2 + fake.length);
    System.arraycopy(fake, 0, crafted, 6, fake.length);
    System.arraycopy(jpeg, 2, crafted, 6 + fake.length, jpeg.length - 2);
    ProcessedImage result = processor.process(crafted);
    ProcessedImage.Accepted accepted = assertInstanceOf(ProcessedImage.Accepted.class, result);
    assertEquals(300, accepted.originalWidth());
    assertEquals(200, accepted.originalHeight());
  }

  /** The offset of the first marker {@code code} (FF code) after SOI. */
  private static int marker(byte[] jpeg, int code) {
    for (int i = 2; i + 1 < jpeg.length; i++) {
      if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == code) {
        return i;
      }
    }
    throw new AssertionError("no marker " + Integer.toHexString(code));
  }
}
