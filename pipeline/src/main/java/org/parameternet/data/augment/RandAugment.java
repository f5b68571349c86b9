package org.parameternet.data.augment;

import java.io.Serializable;
import java.util.List;
import java.util.Random;

/**
 * timm's RandAugment ({@code rand-m<M>[-n<N>][-mstd<S>][-inc1]}): N operations drawn with
 * replacement from timm's 15, each applied with probability 0.5 at a magnitude drawn per operation
 * from N(M, S) clipped to [0, 10]. Level-to-argument rules, fill colour and the enhancement
 * formulas follow timm and PIL.
 */
public final class RandAugment implements Serializable {
  private static final double LEVEL_MAX = 10.0;
  private static final int[] FILL = {124, 116, 104};
  private static final List<String> OPS =
      List.of(
          "AutoContrast",
          "Equalize",
          "Invert",
          "Rotate",
          "Posterize",
          "Solarize",
          "SolarizeAdd",
          "Color",
          "Contrast",
          "Brightness",
          "Sharpness",
          "ShearX",
          "ShearY",
          "TranslateXRel",
          "TranslateYRel");

  private final int layers;
  private final double magnitude;
  private final double magnitudeStd;
  private final boolean increasing;
  private final String spec;

  private RandAugment(String spec, int layers, double magnitude, double std, boolean increasing) {
    this.spec = spec;
    this.layers = layers;
    this.magnitude = magnitude;
    this.magnitudeStd = std;
    this.increasing = increasing;
  }

  /** Parses a timm config string such as {@code rand-m9-mstd0.5}. */
  public static RandAugment parse(String spec) {
    String[] parts = spec.split("-");
    if (parts.length == 0 || !parts[0].equals("rand")) {
      throw new IllegalArgumentException(
          "RandAugment spec '" + spec + "' must start with 'rand' (e.g. rand-m9-mstd0.5)");
    }
    int n = 2;
    double m = 10;
    double std = 0;
    boolean inc = false;
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      try {
        if (p.startsWith("mstd")) {
          std = Double.parseDouble(p.substring(4));
        } else if (p.startsWith("m")) {
          m = Double.parseDouble(p.substring(1));
        } else if (p.startsWith("n")) {
          n = Integer.parseInt(p.substring(1));
        } else if (p.startsWith("inc")) {
          inc = Integer.parseInt(p.substring(3)) != 0;
        } else {
          throw new IllegalArgumentException("unknown part '" + p + "'");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "RandAugment spec '"
                + spec
                + "': "
                + e.getMessage()
                + " (allowed parts: m<magnitude>, n<ops>, mstd<std>, inc<0|1>)",
            e);
      }
    }
    if (m < 0 || m > LEVEL_MAX || n < 0 || std < 0) {
      throw new IllegalArgumentException(
          "RandAugment spec '" + spec + "': need 0 <= m <= 10, n >= 0, mstd >= 0");
    }
    return new RandAugment(spec, n, m, std, inc);
  }

  public String spec() {
    return spec;
  }

  public RgbImage apply(RgbImage image, Random random) {
    RgbImage out = image;
    for (int i = 0; i < layers; i++) {
      String op = OPS.get(random.nextInt(OPS.size()));
      if (random.nextDouble() >= 0.5) {
        continue;
      }
      double m = magnitudeStd > 0 ? magnitude + random.nextGaussian() * magnitudeStd : magnitude;
      m = Math.max(0, Math.min(LEVEL_MAX, m));
      out = apply(op, out, m / LEVEL_MAX, random);
    }
    return out;
  }

  /** One operation at a level in [0, 1]. Package-visible for tests. */
  RgbImage apply(String op, RgbImage img, double level, Random random) {
    double sign = random.nextBoolean() ? 1 : -1;
    switch (op) {
      case "AutoContrast":
        return PixelOps.autoContrast(img);
      case "Equalize":
        return PixelOps.equalize(img);
      case "Invert":
        return PixelOps.lut(img, v -> 255 - v);
      case "Rotate":
        return rotate(img, sign * level * 30);
      case "Posterize":
        {
          int bits = increasing ? 4 - (int) (level * 4) : (int) (level * 4);
          if (bits >= 8) {
            return img;
          }
          int mask = ~((1 << (8 - bits)) - 1) & 0xff;
          return PixelOps.lut(img, v -> v & mask);
        }
      case "Solarize":
        {
          int threshold = increasing ? 256 - (int) (level * 256) : (int) (level * 256);
          return PixelOps.lut(img, v -> v < threshold ? v : 255 - v);
        }
      case "SolarizeAdd":
        {
          int add = (int) (level * 110);
          return PixelOps.lut(img, v -> v < 128 ? Math.min(255, v + add) : v);
        }
      case "Color":
        return PixelOps.blend(PixelOps.grayscale(img), img, enhanceFactor(level, sign));
      case "Contrast":
        return PixelOps.blend(PixelOps.meanGray(img), img, enhanceFactor(level, sign));
      case "Brightness":
        return PixelOps.blend(PixelOps.black(img), img, enhanceFactor(level, sign));
      case "Sharpness":
        return PixelOps.blend(PixelOps.smooth(img), img, enhanceFactor(level, sign));
      case "ShearX":
        return PixelOps.affine(img, new double[] {1, sign * level * 0.3, 0, 0, 1, 0}, FILL);
      case "ShearY":
        return PixelOps.affine(img, new double[] {1, 0, 0, sign * level * 0.3, 1, 0}, FILL);
      case "TranslateXRel":
        return PixelOps.affine(
            img, new double[] {1, 0, sign * level * 0.45 * img.width, 0, 1, 0}, FILL);
      case "TranslateYRel":
        return PixelOps.affine(
            img, new double[] {1, 0, 0, 0, 1, sign * level * 0.45 * img.height}, FILL);
      default:
        throw new IllegalArgumentException("unknown RandAugment op " + op);
    }
  }

  /** timm: {@code level * 1.8 + 0.1} (non-increasing), or {@code 1 ± 0.9 level} (increasing). */
  private double enhanceFactor(double level, double sign) {
    return increasing ? 1.0 + sign * level * 0.9 : level * 1.8 + 0.1;
  }

  /** PIL's rotate(angle) about the centre, counter-clockwise, as an inverse affine map. */
  private static RgbImage rotate(RgbImage img, double degrees) {
    double a = Math.toRadians(-degrees);
    double cx = img.width / 2.0;
    double cy = img.height / 2.0;
    double cos = Math.cos(a);
    double sin = Math.sin(a);
    double[] m = {
      cos, sin, cx - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy,
    };
    return PixelOps.affine(img, m, FILL);
  }
}
