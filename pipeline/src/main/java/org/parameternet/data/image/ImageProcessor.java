package org.parameternet.data.image;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import com.sun.jna.Pointer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
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
 * reads headers only; TurboJPEG ({@link TurboJpeg}) codes JPEGs where installed, OpenCV (JavaCPP)
 * resizes and codes everything else.
 */
public final class ImageProcessor {
  private final ImageOptions options;
  private final TurboJpeg turbo;

  public ImageProcessor(ImageOptions options) {
    this(options, TurboJpeg.available().orElse(null));
  }

  /** With an explicit JPEG codec: {@code turbo} null means OpenCV's. */
  public ImageProcessor(ImageOptions options, TurboJpeg turbo) {
    this.options = options;
    this.turbo = turbo;
  }

  public ProcessedImage process(byte[] bytes) {
    Header header;
    try {
      header = Header.read(bytes, turbo);
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
    if (header.format().equals("JPEG")) {
      int scans = JpegScans.atLeast(bytes);
      if (scans > JpegScans.LIMIT) {
        return new ProcessedImage.Rejected(
            Rejection.TOO_MANY_SCANS,
            "at least "
                + scans
                + " scan markers, limit "
                + JpegScans.LIMIT
                + " (every codec would spend minutes on it)");
      }
    }
    if (header.truncated()) {
      return new ProcessedImage.Rejected(
          Rejection.CORRUPT, header.format() + " truncated (no end marker)");
    }
    try (Mat decoded = decode(bytes, header)) {
      if (decoded == null || decoded.empty()) {
        return new ProcessedImage.Rejected(
            Rejection.CORRUPT, header.format() + " failed to decode");
      }
      try (Mat resized = resized(decoded)) {
        boolean unchanged = resized.cols() == header.width() && resized.rows() == header.height();
        // a plain JPEG that needs no resizing is kept byte for byte: re-encoding it would only
        // add a generation of JPEG loss (docs/commands/ingest.md gives its measured cost)
        byte[] out =
            unchanged && header.format().equals("JPEG") && PlainJpeg.isPlain(bytes)
                ? bytes
                : encode(resized);
        if (out == null) {
          return new ProcessedImage.Rejected(Rejection.CORRUPT, "JPEG encoding failed");
        }
        return new ProcessedImage.Accepted(
            out, resized.rows(), resized.cols(), header.height(), header.width());
      }
    }
  }

  /**
   * BGR pixels, or null when the content does not decode. JPEGs go through TurboJPEG when the
   * system has it; CMYK/YCCK JPEGs (which TurboJPEG cannot turn into BGR), other formats and
   * machines without it through OpenCV. EXIF orientation is ignored either way, as PIL-based
   * ImageNet loaders do.
   */
  private Mat decode(byte[] bytes, Header header) {
    int factor = dctFactor(header);
    if (turbo != null && header.format().equals("JPEG")) {
      int width = (header.width() + factor - 1) / factor;
      int height = (header.height() + factor - 1) / factor;
      Mat pixels = new Mat(height, width, CV_8UC3);
      try {
        turbo.decode(bytes, new Pointer(pixels.data().address()), width, 0, height);
        return pixels;
      } catch (TurboJpeg.JpegException e) {
        pixels.close(); // OpenCV below gets its chance (CMYK, or its own error)
      }
    }
    try (Mat encoded = new Mat(bytes)) {
      return imdecode(encoded, openCvFlags(factor) | IMREAD_IGNORE_ORIENTATION);
    }
  }

  /** JPEG bytes of a continuous BGR image, or null when encoding fails. */
  private byte[] encode(Mat image) {
    if (turbo != null) {
      try {
        return turbo.encode(
            new Pointer(image.data().address()),
            image.cols(),
            0,
            image.rows(),
            options.jpegQuality());
      } catch (TurboJpeg.JpegException e) {
        return null;
      }
    }
    try (BytePointer jpeg = new BytePointer();
        IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, options.jpegQuality())) {
      if (!imencode(".jpg", image, jpeg, params)) {
        return null;
      }
      byte[] out = new byte[(int) jpeg.limit()];
      jpeg.get(out);
      return out;
    }
  }

  /**
   * JPEGs at least twice the target size are decoded at 1/2, 1/4 or 1/8 scale in the DCT domain
   * (libjpeg's scaled decoding), which skips most of the decoding work on full-size photos. The
   * other factors libjpeg-turbo offers (3/8 to 7/8) are slower than a full decode: only the 8x8,
   * 4x4 and 2x2 inverse DCTs have SIMD code in libjpeg-turbo 2.1, so a 500x375 photograph took 1.43
   * ms at 6/8 and 1.65 ms at 7/8 against 1.08 ms at full size (400 textured photographs of 104 KB,
   * one core). At 1/2 the output differs from a full decode resized by area averaging by 2.4 levels
   * of 255 on average and keeps 0.87 of its Laplacian energy, against Pillow's bilinear resize of
   * the full decode, which keeps 0.70 (docs/commands/bench.md, "pnet bench ingest").
   */
  private int dctFactor(Header header) {
    return header.format().equals("JPEG")
        ? dctFactor(Math.min(header.width(), header.height()), options.shorterSide())
        : 1;
  }

  /** The DCT scale divisor (1, 2, 4 or 8) for a JPEG of this shorter side resized to target. */
  public static int dctFactor(int shorter, int target) {
    if (target == 0) {
      return 1;
    }
    if (shorter >= 8 * target) {
      return 8;
    }
    if (shorter >= 4 * target) {
      return 4;
    }
    return shorter >= 2 * target ? 2 : 1;
  }

  private static int openCvFlags(int factor) {
    switch (factor) {
      case 8:
        return IMREAD_REDUCED_COLOR_8;
      case 4:
        return IMREAD_REDUCED_COLOR_4;
      case 2:
        return IMREAD_REDUCED_COLOR_2;
      default:
        return IMREAD_COLOR;
    }
  }

  private Mat resized(Mat image) {
    return resizeShorterSide(image, options.shorterSide());
  }

  /** Ingest's resize: the shorter side to {@code target} pixels (0: a copy at the same size). */
  public static Mat resizeShorterSide(Mat image, int target) {
    int shorter = Math.min(image.rows(), image.cols());
    if (target == 0 || shorter == target) {
      return image.clone();
    }
    double scale = (double) target / shorter;
    int width = Math.max(1, (int) Math.round(image.cols() * scale));
    int height = Math.max(1, (int) Math.round(image.rows() * scale));
    Mat out = new Mat();
    // Area averaging antialiases strong reductions; within 2x bilinear is close and 7x faster.
    try (Size size = new Size(width, height)) {
      resize(image, out, size, 0, 0, scale < 0.5 ? INTER_AREA : INTER_LINEAR);
    }
    return out;
  }

  /** Format and declared size, read without decoding pixels. */
  record Header(String format, int width, int height, boolean truncated) {
    /** {@code turbo}: the processor's JPEG codec, null for OpenCV's (then ImageIO reads it). */
    static Header read(byte[] bytes, TurboJpeg turbo) throws IOException {
      Header fast = isJpeg(bytes) ? jpeg(bytes, turbo) : png(bytes);
      return fast != null ? fast : viaImageIo(bytes);
    }

    private static boolean isJpeg(byte[] b) {
      return b.length >= 4 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8;
    }

    /**
     * A JPEG's size as the decoder will see it: libjpeg-turbo's own header parser where the machine
     * has it (a hand-written marker walk can be misled by an RSTn before the frame header), else
     * ImageIO's JPEG reader (about 1 ms an image).
     */
    private static Header jpeg(byte[] b, TurboJpeg turbo) throws IOException {
      if (turbo == null) {
        return null;
      }
      int[] size;
      try {
        size = turbo.header(b);
      } catch (TurboJpeg.JpegException e) {
        throw new IOException("JPEG header: " + e.getMessage(), e);
      }
      return size[0] > 0 && size[1] > 0
          ? new Header("JPEG", size[0], size[1], truncated("JPEG", b))
          : null;
    }

    /** A PNG's size from its IHDR, which the format requires to be the first chunk. */
    private static Header png(byte[] b) {
      if (b.length > 24
          && (b[0] & 0xFF) == 0x89
          && b[1] == 'P'
          && b[2] == 'N'
          && b[3] == 'G'
          && b[12] == 'I'
          && b[13] == 'H'
          && b[14] == 'D'
          && b[15] == 'R') {
        ByteBuffer ihdr = ByteBuffer.wrap(b, 16, 8);
        int width = ihdr.getInt();
        int height = ihdr.getInt();
        return width > 0 && height > 0
            ? new Header("PNG", width, height, truncated("PNG", b))
            : null;
      }
      return null;
    }

    private static Header viaImageIo(byte[] bytes) throws IOException {
      try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
          return null;
        }
        ImageReader reader = readers.next();
        try {
          reader.setInput(in, true, true);
          String format = reader.getFormatName().toUpperCase(Locale.ROOT);
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
            || !new String(bytes, end - 8, 4, StandardCharsets.ISO_8859_1).equals("IEND");
      }
      return false;
    }
  }
}
