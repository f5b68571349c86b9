package org.parameternet.data.synth;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.Random;

/**
 * Procedurally drawn image classes that a small network can learn: each class is a fixed
 * combination of shape, foreground colour, background colour and texture; every image of it varies
 * position, scale, rotation, brightness and noise.
 */
public final class SyntheticClasses {
  private static final int SHAPES = 6;
  private static final int TEXTURES = 3;

  private SyntheticClasses() {}

  /** The look of class {@code index}: deterministic, distinct for the first 6*8*3*... classes. */
  record Look(int shape, float foregroundHue, float backgroundHue, int texture) {}

  static Look look(int index) {
    // shape and colour cycle together (6 x 8, period 24), so neighbouring classes differ in both
    int shape = index % SHAPES;
    int colour = index % 8;
    int texture = (index / 24) % TEXTURES;
    float fg = (colour / 8f + 0.03f * (index / 72)) % 1f;
    float bg = (fg + 0.5f + 0.11f * ((index / 24) % 5)) % 1f;
    return new Look(shape, fg, bg, texture);
  }

  /** One image of class {@code index}, drawn with {@code random}. */
  public static BufferedImage draw(int index, Random random, int width, int height) {
    Look look = look(index);
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    float light = 0.75f + 0.25f * random.nextFloat();
    g.setColor(Color.getHSBColor(look.backgroundHue(), 0.35f, 0.9f * light));
    g.fillRect(0, 0, width, height);
    drawTexture(g, look, random, width, height);

    int side = Math.min(width, height);
    double size = side * (0.35 + 0.3 * random.nextDouble());
    double cx = width / 2.0 + (random.nextDouble() - 0.5) * (width - size) * 0.8;
    double cy = height / 2.0 + (random.nextDouble() - 0.5) * (height - size) * 0.8;
    AffineTransform saved = g.getTransform();
    g.rotate(random.nextDouble() * Math.PI * 2, cx, cy);
    g.setColor(Color.getHSBColor(look.foregroundHue(), 0.85f, light));
    drawShape(g, look.shape(), cx, cy, size);
    g.setTransform(saved);
    g.dispose();
    addNoise(image, random);
    return image;
  }

  private static void drawTexture(Graphics2D g, Look look, Random random, int width, int height) {
    g.setColor(Color.getHSBColor(look.backgroundHue(), 0.6f, 0.6f));
    int step = Math.max(4, Math.min(width, height) / 8);
    int phase = random.nextInt(step);
    switch (look.texture()) {
      case 0 -> {
        for (int x = phase; x < width; x += step) {
          g.fillRect(x, 0, Math.max(1, step / 4), height);
        }
      }
      case 1 -> {
        for (int y = phase; y < height; y += step) {
          for (int x = phase; x < width; x += step) {
            g.fillOval(x, y, Math.max(2, step / 3), Math.max(2, step / 3));
          }
        }
      }
      default -> {
        g.setStroke(new BasicStroke(Math.max(1, step / 5f)));
        for (int d = phase - height; d < width; d += step) {
          g.drawLine(d, 0, d + height, height);
        }
      }
    }
  }

  private static void drawShape(Graphics2D g, int shape, double cx, double cy, double size) {
    int x = (int) (cx - size / 2);
    int y = (int) (cy - size / 2);
    int s = (int) size;
    switch (shape) {
      case 0 -> g.fillOval(x, y, s, s);
      case 1 -> g.fillRect(x, y, s, s);
      case 2 -> g.fillPolygon(regular(cx, cy, size / 2, 3));
      case 3 -> {
        g.setStroke(new BasicStroke((float) (size / 6)));
        g.drawOval(x, y, s, s);
      }
      case 4 -> {
        g.fillRect(x, (int) (cy - size / 8), s, (int) (size / 4));
        g.fillRect((int) (cx - size / 8), y, (int) (size / 4), s);
      }
      default -> g.fillPolygon(regular(cx, cy, size / 2, 6));
    }
  }

  private static Polygon regular(double cx, double cy, double radius, int corners) {
    Polygon p = new Polygon();
    for (int i = 0; i < corners; i++) {
      double a = 2 * Math.PI * i / corners - Math.PI / 2;
      p.addPoint((int) (cx + radius * Math.cos(a)), (int) (cy + radius * Math.sin(a)));
    }
    return p;
  }

  private static void addNoise(BufferedImage image, Random random) {
    for (int i = 0; i < image.getWidth() * image.getHeight() / 20; i++) {
      int x = random.nextInt(image.getWidth());
      int y = random.nextInt(image.getHeight());
      int v = random.nextInt(256);
      image.setRGB(x, y, (v << 16) | (v << 8) | v);
    }
  }
}
