package org.parameternet.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;

/** Ingest keeps a plain JPEG that needs no resizing byte for byte, and re-encodes anything else. */
class PlainJpegTest {
  private static byte[] process(byte[] input, int resize) {
    ImageProcessor processor = new ImageProcessor(new ImageOptions(resize, 90, 0, 1_000_000));
    return assertInstanceOf(ProcessedImage.Accepted.class, processor.process(input)).jpeg();
  }

  private static byte[] progressive(BufferedImage image) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam param = writer.getDefaultWriteParam();
    param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
      writer.setOutput(stream);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  /** {@code jpeg} with an APP1 EXIF segment (orientation 6) right after SOI. */
  private static byte[] withExif(byte[] jpeg) {
    byte[] tiff = {
      'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 1, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0
    };
    int length = 2 + 6 + tiff.length;
    byte[] out = new byte[jpeg.length + 2 + length];
    out[0] = (byte) 0xFF;
    out[1] = (byte) 0xD8;
    out[2] = (byte) 0xFF;
    out[3] = (byte) 0xE1;
    out[4] = (byte) (length >> 8);
    out[5] = (byte) length;
    byte[] exif = {'E', 'x', 'i', 'f', 0, 0};
    System.arraycopy(exif, 0, out, 6, 6);
    System.arraycopy(tiff, 0, out, 12, tiff.length);
    System.arraycopy(jpeg, 2, out, 12 + tiff.length, jpeg.length - 2);
    return out;
  }

  @Test
  void aBaselineJpegAtItsSizeIsKeptByteForByte() throws IOException {
    byte[] rgb =
        ImageProcessorTest.encode(
            ImageProcessorTest.drawn(28, 28, BufferedImage.TYPE_INT_RGB), "jpg");
    assertTrue(PlainJpeg.isPlain(rgb));
    assertArrayEquals(rgb, process(rgb, 0));
    byte[] grey =
        ImageProcessorTest.encode(
            ImageProcessorTest.drawn(40, 32, BufferedImage.TYPE_BYTE_GRAY), "jpg");
    assertTrue(PlainJpeg.isPlain(grey));
    assertArrayEquals(grey, process(grey, 32), "the shorter side is already the target");
  }

  @Test
  void aResizedJpegIsReencoded() throws IOException {
    byte[] rgb =
        ImageProcessorTest.encode(
            ImageProcessorTest.drawn(28, 28, BufferedImage.TYPE_INT_RGB), "jpg");
    assertFalse(Arrays.equals(rgb, process(rgb, 32)));
  }

  @Test
  void progressiveExifAndOddJpegsAreReencoded() throws IOException {
    BufferedImage image = ImageProcessorTest.drawn(28, 28, BufferedImage.TYPE_INT_RGB);
    byte[] progressive = progressive(image);
    assertFalse(PlainJpeg.isPlain(progressive), "progressive");
    assertFalse(Arrays.equals(progressive, process(progressive, 0)));
    byte[] exif = withExif(ImageProcessorTest.encode(image, "jpg"));
    assertFalse(PlainJpeg.isPlain(exif), "EXIF");
    assertFalse(Arrays.equals(exif, process(exif, 0)));
    byte[] rst = ImageProcessorTest.encode(image, "jpg").clone();
    byte[] crafted = new byte[rst.length + 2];
    crafted[0] = (byte) 0xFF;
    crafted[1] = (byte) 0xD8;
    crafted[2] = (byte) 0xFF;
    crafted[3] = (byte) 0xD0; // RST0 before the frame header
    System.arraycopy(rst, 2, crafted, 4, rst.length - 2);
    assertFalse(PlainJpeg.isPlain(crafted), "restart marker before the frame");
    assertFalse(PlainJpeg.isPlain(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}), "truncated");
    assertFalse(PlainJpeg.isPlain(ImageProcessorTest.encode(image, "png")), "PNG");
  }

  /**
   * The crafted file, small: a progressive JPEG whose last scan repeats 600 times. It is
   * refused before decoding, with its own reason, on TurboJPEG's path and on OpenCV's (which has no
   * scan limit of its own); the same file with its scans once is an image.
   */
  @Test
  void aJpegWithTooManyScansIsRefusedOnEveryCodecPath() throws IOException {
    byte[] real = progressive(ImageProcessorTest.drawn(64, 48, BufferedImage.TYPE_INT_RGB));
    int lastScan = -1;
    for (int i = 0; i + 1 < real.length; i++) {
      if ((real[i] & 0xFF) == 0xFF && (real[i + 1] & 0xFF) == 0xDA) {
        lastScan = i;
      }
    }
    int end = real.length - 2; // EOI
    ByteArrayOutputStream bomb = new ByteArrayOutputStream();
    bomb.write(real, 0, end);
    for (int k = 0; k < 600; k++) {
      bomb.write(real, lastScan, end - lastScan);
    }
    bomb.write(real, end, 2);
    ImageOptions options = new ImageOptions(0, 90, 0, 1_000_000);
    for (ImageProcessor processor :
        new ImageProcessor[] {new ImageProcessor(options), new ImageProcessor(options, null)}) {
      ProcessedImage.Rejected rejected =
          assertInstanceOf(ProcessedImage.Rejected.class, processor.process(bomb.toByteArray()));
      assertTrue(rejected.reason() == Rejection.TOO_MANY_SCANS, rejected.toString());
      assertInstanceOf(ProcessedImage.Accepted.class, processor.process(real));
    }
  }
}
