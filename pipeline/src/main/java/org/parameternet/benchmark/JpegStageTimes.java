package org.parameternet.benchmark;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import com.sun.jna.Pointer;
import java.util.List;
import org.bytedeco.opencv.opencv_core.Mat;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.image.ImageProcessor;
import org.parameternet.data.image.TurboJpeg;

/**
 * Where ingest's per-image time goes with TurboJPEG, in ms an image: reading the header, decoding
 * (entropy decoding, inverse DCT and colour conversion are one libjpeg-turbo call, at the DCT scale
 * {@link ImageProcessor} picks), resizing the shorter side and encoding. The same calls {@link
 * ImageProcessor} makes, timed one by one on this thread; its checks between them are left out.
 */
public record JpegStageTimes(
    int images, double headerMs, double decodeMs, double resizeMs, double encodeMs) {

  /** One warm-up pass over {@code jpegs}, then {@code rounds} timed passes. */
  public static JpegStageTimes measure(
      List<byte[]> jpegs, ImageOptions options, int rounds, TurboJpeg turbo)
      throws TurboJpeg.JpegException {
    pass(jpegs, options, turbo, new long[4]);
    long[] nanos = new long[4];
    for (int round = 0; round < rounds; round++) {
      pass(jpegs, options, turbo, nanos);
    }
    int images = jpegs.size() * rounds;
    double perImage = 1e6 * images;
    return new JpegStageTimes(
        images, nanos[0] / perImage, nanos[1] / perImage, nanos[2] / perImage, nanos[3] / perImage);
  }

  private static void pass(List<byte[]> jpegs, ImageOptions options, TurboJpeg turbo, long[] nanos)
      throws TurboJpeg.JpegException {
    for (byte[] jpeg : jpegs) {
      long start = System.nanoTime();
      int[] size = turbo.header(jpeg);
      int factor = ImageProcessor.dctFactor(Math.min(size[0], size[1]), options.shorterSide());
      int width = (size[0] + factor - 1) / factor;
      int height = (size[1] + factor - 1) / factor;
      long headerRead = System.nanoTime();
      try (Mat pixels = new Mat(height, width, CV_8UC3)) {
        turbo.decode(jpeg, new Pointer(pixels.data().address()), width, 0, height);
        long decoded = System.nanoTime();
        try (Mat resized = ImageProcessor.resizeShorterSide(pixels, options.shorterSide())) {
          long resizedAt = System.nanoTime();
          turbo.encode(
              new Pointer(resized.data().address()),
              resized.cols(),
              0,
              resized.rows(),
              options.jpegQuality());
          nanos[3] += System.nanoTime() - resizedAt;
          nanos[2] += resizedAt - decoded;
        }
        nanos[1] += decoded - headerRead;
      }
      nanos[0] += headerRead - start;
    }
  }
}
