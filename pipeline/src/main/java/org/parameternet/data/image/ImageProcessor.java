package org.parameternet.data.image;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Decodes by content (a PNG named .JPEG is a PNG), converts CMYK, grayscale, palette and alpha
 * images to 3-channel colour, resizes the shorter side and re-encodes as JPEG. The declared size is
 * read from the header first, so a decompression bomb is rejected without being decoded. ImageIO
 * reads headers only; OpenCV (JavaCPP) does the pixel work.
 */
public final class ImageProcessor {
  private final ImageOptions options;

  public ImageProcessor(ImageOptions options) {
    this.options = options;
  }

  public ProcessedImage process(byte[] bytes) {
    Header header;
    try {
      header = Header.read(bytes);
    } catch (IOException | RuntimeException e) {
      return new ProcessedImage.Rejected(Rejection.CORRUPT, "unreadable header: " + e.getMessage());
    }
    if (header == null) {
      return new ProcessedImage.Rejected(
          Rejection.NOT_AN_IMAGE,
          "no image format recognises the content (" + bytes.length + " bytes)");
    }
    long pixels = (long) header.width() * header.height();
    if (pixels > options.maxPixels()) {
      return new ProcessedImage.Rejected(
          Rejection.TOO_MANY_PIXELS,
          header.width() + "x" + header.height() + " declared, limit " + options.maxPixels());
    }
    if (Math.min(header.width(), header.height()) < options.minSide()) {
      return new ProcessedImage.Rejected(
          Rejection.BELOW_MIN_SIZE,
          header.width() + "x" + header.height() + ", minimum side " + options.minSide());
    }
    if (header.truncated()) {
      return new ProcessedImage.Rejected(
          Rejection.CORRUPT, header.format() + " truncated (no end marker)");
    }
    try (Mat encoded = new Mat(bytes);
        Mat decoded = imdecode(encoded, IMREAD_COLOR)) {
      if (decoded == null || decoded.empty()) {
        return new ProcessedImage.Rejected(
            Rejection.CORRUPT, header.format() + " failed to decode");
      }
      int height = decoded.rows();
      int width = decoded.cols();
      try (Mat resized = resized(decoded);
          BytePointer jpeg = new BytePointer();
          IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, options.jpegQuality())) {
        if (!imencode(".jpg", resized, jpeg, params)) {
          return new ProcessedImage.Rejected(Rejection.CORRUPT, "JPEG encoding failed");
        }
        byte[] out = new byte[(int) jpeg.limit()];
        jpeg.get(out);
        return new ProcessedImage.Accepted(out, resized.rows(), resized.cols(), height, width);
      }
    }
  }

  private Mat resized(Mat image) {
    int target = options.shorterSide();
    int shorter = Math.min(image.rows(), image.cols());
    if (target == 0 || shorter == target) {
      return image.clone();
    }
    double scale = (double) target / shorter;
    int width = Math.max(1, (int) Math.round(image.cols() * scale));
    int height = Math.max(1, (int) Math.round(image.rows() * scale));
    Mat out = new Mat();
    // INTER_AREA antialiases when shrinking; bilinear when enlarging.
    try (Size size = new Size(width, height)) {
      resize(image, out, size, 0, 0, scale < 1 ? INTER_AREA : INTER_LINEAR);
    }
    return out;
  }

  /** Format and declared size, read without decoding pixels. */
  record Header(String format, int width, int height, boolean truncated) {
    static Header read(byte[] bytes) throws IOException {
      try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
          return null;
        }
        ImageReader reader = readers.next();
        try {
          reader.setInput(in, true, true);
          String format = reader.getFormatName().toUpperCase(java.util.Locale.ROOT);
          return new Header(
              format, reader.getWidth(0), reader.getHeight(0), truncated(format, bytes));
        } finally {
          reader.dispose();
        }
      }
    }

    /** JPEG must end with EOI (FF D9), PNG with an IEND chunk, allowing trailing padding. */
    private static boolean truncated(String format, byte[] bytes) {
      int end = bytes.length;
      while (end > 0 && bytes[end - 1] == 0) {
        end--;
      }
      if (format.equals("JPEG")) {
        for (int i = end - 1; i >= Math.max(1, end - 64); i--) {
          if ((bytes[i - 1] & 0xFF) == 0xFF && (bytes[i] & 0xFF) == 0xD9) {
            return false;
          }
        }
        return true;
      }
      if (format.equals("PNG")) {
        return end < 12
            || !new String(bytes, end - 8, 4, java.nio.charset.StandardCharsets.ISO_8859_1)
                .equals("IEND");
      }
      return false;
    }
  }
}
