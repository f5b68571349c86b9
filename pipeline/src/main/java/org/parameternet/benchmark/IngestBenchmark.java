package org.parameternet.benchmark;

import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.spark.sql.SparkSession;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.image.ImageProcessor;
import org.parameternet.data.image.ProcessedImage;
import org.parameternet.data.image.TurboJpeg;
import org.parameternet.data.synth.SyntheticClasses;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestJob;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.ingest.IngestSummary;

/**
 * Throughput of ingest: the per-image work (decode, convert, resize, encode) on one thread with
 * each JPEG codec, and the whole job through Parquet.
 */
public final class IngestBenchmark {
  private IngestBenchmark() {}

  public record Result(int images, double seconds) {
    public double imagesPerSecond() {
      return images / seconds;
    }
  }

  /**
   * Photo-like JPEGs: drawn classes with per-pixel noise, so their entropy (and decode cost) is
   * closer to a photograph's than a flat drawing's.
   */
  public static List<byte[]> sampleJpegs(int count, int width, int height, int quality, long seed)
      throws IOException {
    Random random = new Random(seed);
    List<byte[]> jpegs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      BufferedImage image = SyntheticClasses.draw(i % 50, random, width, height);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int rgb = image.getRGB(x, y);
          int n = random.nextInt(41) - 20;
          int r = clamp(((rgb >> 16) & 0xFF) + n);
          int g = clamp(((rgb >> 8) & 0xFF) + n);
          int b = clamp((rgb & 0xFF) + n);
          image.setRGB(x, y, (r << 16) | (g << 8) | b);
        }
      }
      jpegs.add(jpeg(image, quality));
    }
    return jpegs;
  }

  /**
   * {@code count} ImageNet-sized JPEGs cut from real photographs: each is one {@code photos} file
   * (in turn) scaled so its shorter side is 1-2x the crop's (ImageNet photos are downscaled camera
   * images too), then a {@code width x height} crop at a random place, encoded at {@code quality}.
   * Synthetic noise decodes unlike a photograph; these decode like ImageNet's.
   */
  public static List<byte[]> photoCrops(
      List<Path> photos, int count, int width, int height, int quality, long seed)
      throws IOException {
    if (photos.isEmpty()) {
      throw new IllegalArgumentException("no photographs to cut crops from");
    }
    Random random = new Random(seed);
    List<BufferedImage> decoded = new ArrayList<>();
    for (Path photo : photos) {
      BufferedImage image = ImageIO.read(photo.toFile());
      if (image == null) {
        throw new IOException(photo + ": not an image ImageIO can read");
      }
      // Area-averaged once to twice the crop's shorter side, so the mild per-crop rescale
      // below does not alias (a camera's downscale does not either)
      double toTwice =
          2.0 * Math.min(width, height) / Math.min(image.getWidth(), image.getHeight());
      if (toTwice < 1) {
        int w = (int) Math.round(image.getWidth() * toTwice);
        int h = (int) Math.round(image.getHeight() * toTwice);
        BufferedImage scaled = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.drawImage(image.getScaledInstance(w, h, Image.SCALE_AREA_AVERAGING), 0, 0, null);
        g.dispose();
        image = scaled;
      }
      decoded.add(image);
    }
    List<byte[]> jpegs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      BufferedImage photo = decoded.get(i % decoded.size());
      double shorter = Math.min(width, height) * (1 + random.nextDouble());
      double scale =
          Math.max(
              Math.max(shorter / Math.min(photo.getWidth(), photo.getHeight()), 1e-9),
              Math.max((double) width / photo.getWidth(), (double) height / photo.getHeight()));
      int scaledWidth = Math.max(width, (int) Math.ceil(photo.getWidth() * scale));
      int scaledHeight = Math.max(height, (int) Math.ceil(photo.getHeight() * scale));
      int x = random.nextInt(scaledWidth - width + 1);
      int y = random.nextInt(scaledHeight - height + 1);
      BufferedImage crop = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = crop.createGraphics();
      try {
        g.setRenderingHint(
            RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(photo, -x, -y, scaledWidth, scaledHeight, null);
      } finally {
        g.dispose();
      }
      jpegs.add(jpeg(crop, quality));
    }
    return jpegs;
  }

  /** {@code jpegs} through the image work {@code rounds} times on this thread. */
  public static Result processAll(
      List<byte[]> jpegs, ImageOptions options, int rounds, TurboJpeg turbo) {
    ImageProcessor processor = new ImageProcessor(options, turbo);
    for (byte[] j : jpegs.subList(0, Math.min(20, jpegs.size()))) {
      processor.process(j);
    }
    long start = System.nanoTime();
    int done = 0;
    for (int round = 0; round < rounds; round++) {
      for (byte[] j : jpegs) {
        if (!(processor.process(j) instanceof ProcessedImage.Accepted)) {
          throw new IllegalStateException("benchmark image rejected");
        }
        done++;
      }
    }
    return new Result(done, (System.nanoTime() - start) / 1e9);
  }

  /**
   * The whole ingest job over {@code count} images in class {@code folders} (from {@link
   * #classFolders}) into {@code out}: plan, read, decode, resize, encode, shuffle into shards,
   * write Parquet, account. Run on whatever cores {@code spark} has; divide by them for a per-core
   * figure.
   */
  public static Result endToEnd(
      SparkSession spark, Path folders, int count, ImageOptions options, Path out)
      throws IOException {
    long start = System.nanoTime();
    IngestSummary summary = IngestJob.run(spark, folders(folders, out, options));
    double seconds = (System.nanoTime() - start) / 1e9;
    if (summary.written() != count) {
      throw new IllegalStateException(
          "benchmark ingest wrote " + summary.written() + " of " + count);
    }
    return new Result(count, seconds);
  }

  /** {@code count} images cycled from {@code jpegs} as 10 class folders under {@code root}. */
  public static Path classFolders(Path root, List<byte[]> jpegs, int count) throws IOException {
    for (int i = 0; i < count; i++) {
      Path file = root.resolve(String.format(Locale.ROOT, "n%08d/img_%05d.JPEG", i % 10, i));
      Files.createDirectories(file.getParent());
      Files.write(file, jpegs.get(i % jpegs.size()));
    }
    return root;
  }

  private static IngestOptions folders(Path source, Path out, ImageOptions options) {
    return IngestOptions.withDefaults(
        IngestFormat.FOLDERS,
        source.toUri().toString(),
        out.toUri().toString(),
        options.shorterSide(),
        null);
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }

  private static byte[] jpeg(BufferedImage image, int quality) throws IOException {
    Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpg");
    ImageWriter writer = writers.next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality / 100f);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }
}
