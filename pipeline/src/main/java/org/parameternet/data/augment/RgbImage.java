package org.parameternet.data.augment;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * An 8-bit RGB image, interleaved (HWC), as the augmentations work on it. Decoding, cropping and
 * resizing go through OpenCV; pixel operations are plain Java on the array.
 */
public final class RgbImage {
  final int width;
  final int height;
  final byte[] pixels;

  public RgbImage(int width, int height, byte[] pixels) {
    if (pixels.length != width * height * 3) {
      throw new IllegalArgumentException(
          "expected " + width * height * 3 + " bytes for " + width + "x" + height);
    }
    this.width = width;
    this.height = height;
    this.pixels = pixels;
  }

  public int width() {
    return width;
  }

  public int height() {
    return height;
  }

  public byte[] pixels() {
    return pixels;
  }

  int at(int x, int y, int c) {
    return pixels[(y * width + x) * 3 + c] & 0xff;
  }

  /** Decodes JPEG/PNG/... by content; the shards hold images that ingest already validated. */
  public static Mat decode(byte[] encoded) {
    try (BytePointer data = new BytePointer(encoded);
        Mat raw =
            new Mat(1, encoded.length, org.bytedeco.opencv.global.opencv_core.CV_8UC1, data)) {
      Mat bgr = imdecode(raw, IMREAD_COLOR);
      if (bgr.empty()) {
        bgr.close();
        throw new IllegalArgumentException("undecodable image of " + encoded.length + " bytes");
      }
      return bgr;
    }
  }

  /** Crops {@code (x, y, w, h)} of a decoded BGR image and resizes it to {@code out x out}. */
  public static RgbImage cropResize(Mat bgr, int x, int y, int w, int h, int outW, int outH) {
    try (Rect rect = new Rect(x, y, w, h);
        Mat roi = new Mat(bgr, rect);
        Mat resized = new Mat();
        Mat rgb = new Mat();
        Size size = new Size(outW, outH)) {
      boolean shrinking = w > outW || h > outH;
      resize(roi, resized, size, 0, 0, shrinking ? INTER_AREA : INTER_LINEAR);
      cvtColor(resized, rgb, COLOR_BGR2RGB);
      byte[] pixels = new byte[outW * outH * 3];
      rgb.data().get(pixels);
      return new RgbImage(outW, outH, pixels);
    }
  }

  /**
   * CHW floats normalised with the ImageNet mean and standard deviation, written into {@code out}
   * at {@code offset}.
   */
  public void toNormalizedChw(float[] out, int offset) {
    int plane = width * height;
    for (int c = 0; c < 3; c++) {
      float mean = Normalization.MEAN[c] * 255f;
      float scale = 1f / (Normalization.STD[c] * 255f);
      int base = offset + c * plane;
      for (int i = 0; i < plane; i++) {
        out[base + i] = ((pixels[i * 3 + c] & 0xff) - mean) * scale;
      }
    }
  }
}
