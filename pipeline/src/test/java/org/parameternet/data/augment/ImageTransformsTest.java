package org.parameternet.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ImageTransformsTest {
  /** A lossless PNG: left half red, right half blue, optional green border of {@code border}. */
  private static byte[] png(int w, int h, int border) throws IOException {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.GREEN);
    g.fillRect(0, 0, w, h);
    g.setColor(Color.RED);
    g.fillRect(border, border, w / 2 - border, h - 2 * border);
    g.setColor(Color.BLUE);
    g.fillRect(w / 2, border, w / 2 - border, h - 2 * border);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /** Channel c of pixel (x, y) back on the 0..255 scale. */
  private static float pixel(float[] chw, int res, int c, int x, int y) {
    return chw[c * res * res + y * res + x] * Normalization.STD[c] * 255f
        + Normalization.MEAN[c] * 255f;
  }

  @Test
  void trainingAugmentationIsSeededAndFinite() throws IOException {
    ImageTransforms t = new ImageTransforms(AugmentOptions.timmDefaults(32));
    byte[] image = png(48, 40, 0);
    float[] a = new float[t.imageSize()];
    float[] b = new float[t.imageSize()];
    float[] c = new float[t.imageSize()];
    t.train(image, new Random(5), a, 0);
    t.train(image, new Random(5), b, 0);
    t.train(image, new Random(6), c, 0);
    assertArrayEquals(a, b);
    assertTrue(!Arrays.equals(a, c), "another seed, another augmentation");
    for (float v : a) {
      assertTrue(Float.isFinite(v));
    }
  }

  @Test
  void flipMirrorsTheImage() throws IOException {
    AugmentOptions plain = AugmentOptions.timmDefaults(16).withoutRandomness();
    AugmentOptions flipping =
        new AugmentOptions(16, 1, 1, 1, 1, 1.0, "", 0, plain.evalCropFraction());
    float[] kept = new float[3 * 16 * 16];
    float[] flipped = new float[3 * 16 * 16];
    byte[] image = png(32, 32, 0);
    new ImageTransforms(plain).train(image, new Random(1), kept, 0);
    new ImageTransforms(flipping).train(image, new Random(1), flipped, 0);
    assertEquals(255, pixel(kept, 16, 0, 2, 8), 1.5); // red on the left
    assertEquals(255, pixel(flipped, 16, 2, 2, 8), 1.5); // blue on the left after the flip
    assertEquals(255, pixel(flipped, 16, 0, 13, 8), 1.5);
  }

  /** Resize the shorter side to res / 0.875, keep the centre: a thin border disappears. */
  @Test
  void evaluationCropsTheCentre() throws IOException {
    ImageTransforms t = new ImageTransforms(AugmentOptions.timmDefaults(32));
    float[] out = new float[t.imageSize()];
    t.eval(png(64, 64, 3), out, 0);
    // 64 -> 36 (floor(32 / 0.875)), border 3 -> 1.7 px, crop offset 2 px: no green at the edges
    for (int y = 0; y < 32; y++) {
      assertTrue(pixel(out, 32, 1, 0, y) < 40, "green at the left edge, row " + y);
      assertTrue(pixel(out, 32, 1, 31, y) < 40, "green at the right edge, row " + y);
    }
    assertEquals(255, pixel(out, 32, 0, 4, 16), 2);
    assertEquals(255, pixel(out, 32, 2, 28, 16), 2);
  }

  @Test
  void randomErasingReplacesOneBoxWithNoise() throws IOException {
    AugmentOptions erasing = new AugmentOptions(32, 1, 1, 1, 1, 0, "", 1.0, 0.875);
    AugmentOptions none = erasing.withoutRandomness();
    float[] a = new float[3 * 32 * 32];
    float[] b = new float[3 * 32 * 32];
    byte[] image = png(32, 32, 0);
    new ImageTransforms(erasing).train(image, new Random(2), a, 0);
    new ImageTransforms(none).train(image, new Random(2), b, 0);
    int changed = 0;
    for (int i = 0; i < 32 * 32; i++) {
      if (a[i] != b[i]) {
        changed++;
      }
    }
    assertTrue(changed >= 0.02 * 1024 && changed <= 0.34 * 1024, changed + " pixels erased");
  }

  @Test
  void randomResizedCropStaysInsideTheImage() {
    ImageTransforms t = new ImageTransforms(AugmentOptions.timmDefaults(32));
    Random random = new Random(9);
    for (int i = 0; i < 1000; i++) {
      int[] box = t.randomResizedCrop(300, 200, random);
      assertTrue(box[0] >= 0 && box[1] >= 0 && box[2] > 0 && box[3] > 0);
      assertTrue(box[0] + box[2] <= 300 && box[1] + box[3] <= 200);
      double area = (double) box[2] * box[3] / (300 * 200);
      assertTrue(area <= 1.0 + 1e-9);
    }
  }

  @Test
  void randAugmentSpecsParseLikeTimm() {
    assertEquals("rand-m9-mstd0.5", RandAugment.parse("rand-m9-mstd0.5").spec());
    RandAugment.parse("rand-m7-n3-mstd0.5-inc1");
    assertThrows(IllegalArgumentException.class, () -> RandAugment.parse("auto-m9"));
    assertThrows(IllegalArgumentException.class, () -> RandAugment.parse("rand-m11"));
    assertThrows(IllegalArgumentException.class, () -> RandAugment.parse("rand-q1"));
  }

  @Test
  void randAugmentOperationsMatchPil() {
    byte[] px = new byte[2 * 1 * 3];
    px[0] = 10;
    px[1] = 20;
    px[2] = 30;
    px[3] = (byte) 200;
    px[4] = (byte) 210;
    px[5] = (byte) 250;
    RgbImage img = new RgbImage(2, 1, px);
    RandAugment ra = RandAugment.parse("rand-m9");
    Random r = new Random(1);
    RgbImage inverted = ra.apply("Invert", img, 0.9, r);
    assertEquals(245, inverted.pixels()[0] & 0xff);
    // Solarize at level 0.9: threshold int(0.9 * 256) = 230; only 250 is inverted
    RgbImage solarized = ra.apply("Solarize", img, 0.9, r);
    assertEquals(210, solarized.pixels()[4] & 0xff);
    assertEquals(5, solarized.pixels()[5] & 0xff);
    // Posterize at level 0.9: int(0.9 * 4) = 3 bits kept, mask 0b11100000
    RgbImage posterized = ra.apply("Posterize", img, 0.9, r);
    assertEquals(192, posterized.pixels()[3] & 0xff);
    assertEquals(0, posterized.pixels()[0] & 0xff);
    // AutoContrast stretches each channel's [min, max] to [0, 255]
    RgbImage stretched = ra.apply("AutoContrast", img, 0.9, r);
    assertEquals(0, stretched.pixels()[0] & 0xff);
    assertEquals(255, stretched.pixels()[3] & 0xff);
    // Brightness factor 0.9 * 1.8 + 0.1 = 1.72, clipped
    RgbImage brighter = ra.apply("Brightness", img, 0.9, r);
    assertEquals(17, brighter.pixels()[0] & 0xff);
    assertEquals(255, brighter.pixels()[3] & 0xff);
    for (String op :
        new String[] {"Rotate", "ShearX", "ShearY", "TranslateXRel", "Equalize", "Sharpness"}) {
      assertEquals(6, ra.apply(op, img, 0.9, r).pixels().length, op);
    }
  }
}
