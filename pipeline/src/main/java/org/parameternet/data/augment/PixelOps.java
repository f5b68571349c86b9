package org.parameternet.data.augment;

import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/** PIL-equivalent pixel operations on {@link RgbImage}s, used by {@link RandAugment}. */
final class PixelOps {
  private PixelOps() {}

  static RgbImage lut(RgbImage img, IntUnaryOperator f) {
    byte[] table = new byte[256];
    for (int v = 0; v < 256; v++) {
      table[v] = (byte) f.applyAsInt(v);
    }
    byte[] out = new byte[img.pixels.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = table[img.pixels[i] & 0xff];
    }
    return new RgbImage(img.width, img.height, out);
  }

  /** Per channel, stretch [min, max] to [0, 255] (PIL autocontrast, cutoff 0). */
  static RgbImage autoContrast(RgbImage img) {
    byte[] out = img.pixels.clone();
    for (int c = 0; c < 3; c++) {
      int lo = 255;
      int hi = 0;
      for (int i = c; i < out.length; i += 3) {
        int v = out[i] & 0xff;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (hi <= lo) {
        continue;
      }
      double scale = 255.0 / (hi - lo);
      for (int i = c; i < out.length; i += 3) {
        int v = (int) (((out[i] & 0xff) - lo) * scale);
        out[i] = (byte) Math.max(0, Math.min(255, v));
      }
    }
    return new RgbImage(img.width, img.height, out);
  }

  /** Per-channel histogram equalisation with PIL's ImageOps.equalize lookup table. */
  static RgbImage equalize(RgbImage img) {
    byte[] out = img.pixels.clone();
    for (int c = 0; c < 3; c++) {
      int[] histogram = new int[256];
      for (int i = c; i < out.length; i += 3) {
        histogram[out[i] & 0xff]++;
      }
      int last = 255;
      while (last > 0 && histogram[last] == 0) {
        last--;
      }
      int total = img.width * img.height;
      int step = (total - histogram[last]) / 255;
      if (step == 0) {
        continue;
      }
      int[] table = new int[256];
      int n = step / 2;
      for (int v = 0; v < 256; v++) {
        table[v] = Math.min(255, n / step);
        n += histogram[v];
      }
      for (int i = c; i < out.length; i += 3) {
        out[i] = (byte) table[out[i] & 0xff];
      }
    }
    return new RgbImage(img.width, img.height, out);
  }

  /** {@code degenerate + factor * (img - degenerate)}, clipped, as PIL's ImageEnhance does. */
  static RgbImage blend(RgbImage degenerate, RgbImage img, double factor) {
    byte[] out = new byte[img.pixels.length];
    for (int i = 0; i < out.length; i++) {
      double d = degenerate.pixels[i] & 0xff;
      double v = d + factor * ((img.pixels[i] & 0xff) - d);
      // PIL's Image.blend truncates, then clips
      out[i] = (byte) Math.max(0, Math.min(255, (int) v));
    }
    return new RgbImage(img.width, img.height, out);
  }

  /** ITU-R 601-2 luma (PIL's "L"), replicated to three channels. */
  static RgbImage grayscale(RgbImage img) {
    byte[] out = new byte[img.pixels.length];
    for (int i = 0; i < out.length; i += 3) {
      int l = luma(img.pixels, i);
      out[i] = out[i + 1] = out[i + 2] = (byte) l;
    }
    return new RgbImage(img.width, img.height, out);
  }

  /** The constant image at the mean luma (PIL's Contrast degenerate). */
  static RgbImage meanGray(RgbImage img) {
    long sum = 0;
    for (int i = 0; i < img.pixels.length; i += 3) {
      sum += luma(img.pixels, i);
    }
    byte mean = (byte) (int) (sum / (double) (img.width * img.height) + 0.5);
    byte[] out = new byte[img.pixels.length];
    Arrays.fill(out, mean);
    return new RgbImage(img.width, img.height, out);
  }

  static RgbImage black(RgbImage img) {
    return new RgbImage(img.width, img.height, new byte[img.pixels.length]);
  }

  /** PIL's SMOOTH filter (3x3, centre 5, others 1, /13); border pixels stay as they are. */
  static RgbImage smooth(RgbImage img) {
    byte[] out = img.pixels.clone();
    int w = img.width;
    for (int y = 1; y < img.height - 1; y++) {
      for (int x = 1; x < w - 1; x++) {
        for (int c = 0; c < 3; c++) {
          int s = 4 * img.at(x, y, c);
          for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
              s += img.at(x + dx, y + dy, c);
            }
          }
          out[(y * w + x) * 3 + c] = (byte) Math.min(255, (s + 6) / 13);
        }
      }
    }
    return new RgbImage(img.width, img.height, out);
  }

  /**
   * PIL's Image.transform(AFFINE): the output pixel (x, y) samples the input at {@code (m0 x + m1 y
   * + m2, m3 x + m4 y + m5)}, bilinear, {@code fill} outside.
   */
  static RgbImage affine(RgbImage img, double[] m, int[] fill) {
    int w = img.width;
    int h = img.height;
    byte[] out = new byte[img.pixels.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        // pixel centres, as PIL samples them
        double sx = m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2] - 0.5;
        double sy = m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5] - 0.5;
        int o = (y * w + x) * 3;
        if (sx < -0.5 || sy < -0.5 || sx > w - 0.5 || sy > h - 0.5) {
          out[o] = (byte) fill[0];
          out[o + 1] = (byte) fill[1];
          out[o + 2] = (byte) fill[2];
          continue;
        }
        int x0 = (int) Math.floor(sx);
        int y0 = (int) Math.floor(sy);
        double fx = sx - x0;
        double fy = sy - y0;
        int xa = Math.max(0, Math.min(w - 1, x0));
        int xb = Math.max(0, Math.min(w - 1, x0 + 1));
        int ya = Math.max(0, Math.min(h - 1, y0));
        int yb = Math.max(0, Math.min(h - 1, y0 + 1));
        for (int c = 0; c < 3; c++) {
          double top = img.at(xa, ya, c) * (1 - fx) + img.at(xb, ya, c) * fx;
          double bottom = img.at(xa, yb, c) * (1 - fx) + img.at(xb, yb, c) * fx;
          out[o + c] = (byte) (int) Math.round(top * (1 - fy) + bottom * fy);
        }
      }
    }
    return new RgbImage(w, h, out);
  }

  static RgbImage flipHorizontal(RgbImage img) {
    byte[] out = new byte[img.pixels.length];
    int w = img.width;
    for (int y = 0; y < img.height; y++) {
      for (int x = 0; x < w; x++) {
        int from = (y * w + x) * 3;
        int to = (y * w + (w - 1 - x)) * 3;
        out[to] = img.pixels[from];
        out[to + 1] = img.pixels[from + 1];
        out[to + 2] = img.pixels[from + 2];
      }
    }
    return new RgbImage(w, img.height, out);
  }

  private static int luma(byte[] p, int i) {
    // PIL's ImagingConvert RGB -> L: fixed point, rounded
    return ((p[i] & 0xff) * 19595 + (p[i + 1] & 0xff) * 38470 + (p[i + 2] & 0xff) * 7471 + 0x8000)
        >> 16;
  }
}
