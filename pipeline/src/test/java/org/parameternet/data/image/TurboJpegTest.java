package org.parameternet.data.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * TurboJPEG codes JPEGs as OpenCV's codec does. Skipped where libturbojpeg.so.0 is absent (ingest
 * then uses OpenCV); CI installs it first (bin/install-native-libraries.sh from .ci/run).
 */
class TurboJpegTest {
  private static TurboJpeg turbo() {
    Assumptions.assumeTrue(
        TurboJpeg.available().isPresent(),
        "libturbojpeg.so.0 is not installed: run bin/install-native-libraries.sh");
    return TurboJpeg.available().get();
  }

  /** A photo-like image: smooth gradients with noise, so JPEG has real work to do. */
  private static BufferedImage photo(int width, int height, long seed) {
    Random random = new Random(seed);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int r = (int) (127 + 100 * Math.sin(x / 37.0)) + random.nextInt(20);
        int g = (int) (127 + 100 * Math.cos(y / 23.0)) + random.nextInt(20);
        int b = ((x + y) / 4) % 200 + random.nextInt(20);
        image.setRGB(x, y, (Math.min(r, 255) << 16) | (Math.min(g, 255) << 8) | Math.min(b, 255));
      }
    }
    return image;
  }

  private static double meanAbsoluteDifference(byte[] jpegA, byte[] jpegB) throws IOException {
    BufferedImage a = ImageIO.read(new ByteArrayInputStream(jpegA));
    BufferedImage b = ImageIO.read(new ByteArrayInputStream(jpegB));
    assertEquals(a.getWidth(), b.getWidth());
    assertEquals(a.getHeight(), b.getHeight());
    long sum = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        int p = a.getRGB(x, y);
        int q = b.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          sum += Math.abs(((p >> shift) & 0xFF) - ((q >> shift) & 0xFF));
        }
      }
    }
    return sum / (3.0 * a.getWidth() * a.getHeight());
  }

  /** Garbage fails with TurboJPEG's message, which is what sends ImageProcessor to OpenCV. */
  @Test
  void rejectsWhatIsNotAJpeg() {
    byte[] notJpeg = "definitely not a jpeg, just text".getBytes();
    Memory pixels = new Memory(16 * 16 * 3);
    try {
      turbo().decode(notJpeg, pixels, 16, 0, 16);
      throw new AssertionError("TurboJPEG decoded text");
    } catch (TurboJpeg.JpegException expected) {
      assertTrue(!expected.getMessage().isEmpty());
    }
  }

  /**
   * Full-size and DCT-scaled decodes (500x375 and 1200x900 to 256) give the same sizes as OpenCV's
   * path and pixels within a couple of grey levels (both are libjpeg's accurate integer DCT).
   */
  @Test
  void agreesWithOpenCvOnSizesAndPixels() throws IOException {
    ImageProcessor withTurbo = new ImageProcessor(ImageOptions.DEFAULTS, turbo());
    ImageProcessor withOpenCv = new ImageProcessor(ImageOptions.DEFAULTS, null);
    for (int[] size : new int[][] {{500, 375}, {1200, 900}, {300, 600}}) {
      byte[] input = ImageProcessorTest.encode(photo(size[0], size[1], size[0]), "jpg");
      ProcessedImage.Accepted a =
          assertInstanceOf(ProcessedImage.Accepted.class, withTurbo.process(input));
      ProcessedImage.Accepted b =
          assertInstanceOf(ProcessedImage.Accepted.class, withOpenCv.process(input));
      assertEquals(b.width(), a.width());
      assertEquals(b.height(), a.height());
      assertEquals(256, Math.min(a.width(), a.height()));
      assertEquals(size[0], a.originalWidth());
      assertEquals(size[1], a.originalHeight());
      double mad = meanAbsoluteDifference(a.jpeg(), b.jpeg());
      assertTrue(mad < 2.0, size[0] + "x" + size[1] + ": mean abs difference " + mad);
    }
  }

  /**
   * The load-time check that replaces an UnsatisfiedLinkError mid-job: every function used is
   * exported here, and a function the library lacks (as tjGetErrorStr2 is absent before 2.0) is
   * named.
   */
  @Test
  void theLoadCheckNamesFunctionsTheLibraryLacks() {
    turbo();
    NativeLibrary library = NativeLibrary.getInstance("turbojpeg");
    assertEquals(List.of(), TurboJpeg.missing(library, TurboJpeg.FUNCTIONS));
    assertEquals(
        List.of("tjNoSuchFunction"),
        TurboJpeg.missing(library, List.of("tjDecompress2", "tjNoSuchFunction")));
  }
}
