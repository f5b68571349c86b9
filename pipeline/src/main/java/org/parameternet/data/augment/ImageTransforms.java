package org.parameternet.data.augment;

import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Encoded image to normalised CHW floats: the training transform (RandomResizedCrop, flip,
 * RandAugment, normalise, random erasing, in timm's order) and the evaluation transform (resize the
 * shorter side to {@code res / crop fraction}, centre crop).
 */
public final class ImageTransforms {
  private final AugmentOptions options;
  private final RandAugment randAugment;

  public ImageTransforms(AugmentOptions options) {
    this.options = options;
    this.randAugment =
        options.randAugment().isEmpty() ? null : RandAugment.parse(options.randAugment());
  }

  public int resolution() {
    return options.resolution();
  }

  /** Values per image in the output array: 3 x res x res. */
  public int imageSize() {
    return 3 * options.resolution() * options.resolution();
  }

  public void train(byte[] encoded, Random random, float[] out, int offset) {
    int res = options.resolution();
    RgbImage image;
    try (Mat bgr = RgbImage.decode(encoded)) {
      int[] crop = randomResizedCrop(bgr.cols(), bgr.rows(), random);
      image = RgbImage.cropResize(bgr, crop[0], crop[1], crop[2], crop[3], res, res);
    }
    if (random.nextDouble() < options.flip()) {
      image = PixelOps.flipHorizontal(image);
    }
    if (randAugment != null) {
      image = randAugment.apply(image, random);
    }
    image.toNormalizedChw(out, offset);
    if (random.nextDouble() < options.erasing()) {
      erase(out, offset, res, random);
    }
  }

  public void eval(byte[] encoded, float[] out, int offset) {
    int res = options.resolution();
    try (Mat bgr = RgbImage.decode(encoded)) {
      int w = bgr.cols();
      int h = bgr.rows();
      // timm: scale_size = floor(res / crop_pct), the crop is res of it, centred
      double scaled = Math.floor(res / options.evalCropFraction());
      double s = scaled / Math.min(w, h);
      double cropW = res / s;
      double cropH = res / s;
      int x = (int) Math.round((w - cropW) / 2);
      int y = (int) Math.round((h - cropH) / 2);
      int cw = Math.max(1, Math.min(w - Math.max(0, x), (int) Math.round(cropW)));
      int ch = Math.max(1, Math.min(h - Math.max(0, y), (int) Math.round(cropH)));
      RgbImage image = RgbImage.cropResize(bgr, Math.max(0, x), Math.max(0, y), cw, ch, res, res);
      image.toNormalizedChw(out, offset);
    }
  }

  /** torchvision's RandomResizedCrop.get_params: {x, y, w, h}. */
  int[] randomResizedCrop(int width, int height, Random random) {
    double area = (double) width * height;
    double logMin = Math.log(options.ratioMin());
    double logMax = Math.log(options.ratioMax());
    for (int attempt = 0; attempt < 10; attempt++) {
      double target =
          area
              * (options.scaleMin()
                  + random.nextDouble() * (options.scaleMax() - options.scaleMin()));
      double ratio = Math.exp(logMin + random.nextDouble() * (logMax - logMin));
      int w = (int) Math.round(Math.sqrt(target * ratio));
      int h = (int) Math.round(Math.sqrt(target / ratio));
      if (0 < w && w <= width && 0 < h && h <= height) {
        int x = random.nextInt(width - w + 1);
        int y = random.nextInt(height - h + 1);
        return new int[] {x, y, w, h};
      }
    }
    // fallback: centre crop at the nearest allowed ratio
    double inRatio = (double) width / height;
    int w;
    int h;
    if (inRatio < options.ratioMin()) {
      w = width;
      h = (int) Math.round(w / options.ratioMin());
    } else if (inRatio > options.ratioMax()) {
      h = height;
      w = (int) Math.round(h * options.ratioMax());
    } else {
      w = width;
      h = height;
    }
    return new int[] {(width - w) / 2, (height - h) / 2, w, h};
  }

  /** timm RandomErasing, mode "pixel", one box: area 2%-33%, log-uniform ratio 0.3-3.3. */
  private static void erase(float[] out, int offset, int res, Random random) {
    double area = (double) res * res;
    for (int attempt = 0; attempt < 10; attempt++) {
      double target = area * (0.02 + random.nextDouble() * (1.0 / 3 - 0.02));
      double ratio =
          Math.exp(Math.log(0.3) + random.nextDouble() * (Math.log(1 / 0.3) - Math.log(0.3)));
      int h = (int) Math.round(Math.sqrt(target * ratio));
      int w = (int) Math.round(Math.sqrt(target / ratio));
      if (w < res && h < res) {
        int top = random.nextInt(res - h + 1);
        int left = random.nextInt(res - w + 1);
        for (int c = 0; c < 3; c++) {
          for (int y = top; y < top + h; y++) {
            int row = offset + c * res * res + y * res;
            for (int x = left; x < left + w; x++) {
              out[row + x] = (float) random.nextGaussian();
            }
          }
        }
        return;
      }
    }
  }
}
