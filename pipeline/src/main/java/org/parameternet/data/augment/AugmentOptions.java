package org.parameternet.data.augment;

import java.io.Serializable;

/**
 * The training and evaluation image transforms (timm's defaults in brackets).
 *
 * @param resolution output side in pixels
 * @param scaleMin smallest crop area fraction of RandomResizedCrop (0.08)
 * @param scaleMax largest crop area fraction (1.0)
 * @param ratioMin smallest crop aspect ratio (3/4)
 * @param ratioMax largest crop aspect ratio (4/3)
 * @param flip horizontal flip probability (0.5)
 * @param randAugment timm RandAugment spec, or empty for none (rand-m9-mstd0.5)
 * @param erasing random erasing probability, per-pixel normal noise (0.25)
 * @param evalCropFraction evaluation centre-crop fraction of the resized image (0.875)
 */
public record AugmentOptions(
    int resolution,
    double scaleMin,
    double scaleMax,
    double ratioMin,
    double ratioMax,
    double flip,
    String randAugment,
    double erasing,
    double evalCropFraction)
    implements Serializable {

  public AugmentOptions {
    if (resolution < 8) {
      throw new IllegalArgumentException("resolution must be >= 8, got " + resolution);
    }
    if (!(0 < scaleMin && scaleMin <= scaleMax && scaleMax <= 1)) {
      throw new IllegalArgumentException("need 0 < scale min <= scale max <= 1");
    }
    if (!(0 < ratioMin && ratioMin <= ratioMax)) {
      throw new IllegalArgumentException("need 0 < ratio min <= ratio max");
    }
    if (flip < 0 || flip > 1 || erasing < 0 || erasing > 1) {
      throw new IllegalArgumentException("probabilities must be in [0, 1]");
    }
    if (!(0 < evalCropFraction && evalCropFraction <= 1)) {
      throw new IllegalArgumentException("eval crop fraction must be in (0, 1]");
    }
    if (!randAugment.isEmpty()) {
      RandAugment.parse(randAugment);
    }
  }

  /** timm's ImageNet training defaults at a resolution. */
  public static AugmentOptions timmDefaults(int resolution) {
    return new AugmentOptions(
        resolution, 0.08, 1.0, 3.0 / 4, 4.0 / 3, 0.5, "rand-m9-mstd0.5", 0.25, 0.875);
  }

  /**
   * No augmentation: the whole image resized, no flip, RandAugment or erasing; what evaluation
   * uses, and tests and exact checks. The one place these "off" values are written.
   */
  public static AugmentOptions withoutAugmentation(int resolution, double evalCropFraction) {
    return new AugmentOptions(resolution, 1, 1, 1, 1, 0, "", 0, evalCropFraction);
  }

  /** These options without augmentation: the same resolution and evaluation crop. */
  public AugmentOptions withoutRandomness() {
    return withoutAugmentation(resolution, evalCropFraction);
  }
}
