package org.parameternet.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.parameternet.benchmark.IngestBenchmark;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.image.TurboJpeg;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet bench ingest}: images/s on one core for decode -> RGB -> resize -> JPEG encode of
 * photo-like JPEGs, with TurboJPEG and with OpenCV's codec, then the whole ingest job to Parquet on
 * one core; with {@code --keep DIR} the inputs are saved so another tool (a Pillow script, say) can
 * be timed on exactly the same files.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = "Per-core throughput of ingest's image work on photo-like JPEGs.")
final class BenchIngestCommand implements Callable<Integer> {
  @Option(
      names = "--images",
      defaultValue = "200",
      description = "Distinct input images. Default: ${DEFAULT-VALUE}.")
  int images;

  @Option(
      names = "--rounds",
      defaultValue = "3",
      description = "Passes over the images. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--width", defaultValue = "500", description = "Default: ${DEFAULT-VALUE}.")
  int width;

  @Option(names = "--height", defaultValue = "375", description = "Default: ${DEFAULT-VALUE}.")
  int height;

  @Option(
      names = "--quality",
      defaultValue = "90",
      description = "Input and output JPEG quality. Default: ${DEFAULT-VALUE}.")
  int quality;

  @Option(
      names = "--resize",
      defaultValue = "256",
      description = "Shorter side after resizing. Default: ${DEFAULT-VALUE}.")
  int resize;

  @Option(names = "--keep", description = "Directory to save the input JPEGs in.")
  Path keep;

  @Override
  public Integer call() throws Exception {
    List<byte[]> jpegs = IngestBenchmark.sampleJpegs(images, width, height, quality, 7);
    if (keep != null) {
      Files.createDirectories(keep);
      for (int i = 0; i < jpegs.size(); i++) {
        Files.write(keep.resolve(String.format(Locale.ROOT, "img_%05d.jpg", i)), jpegs.get(i));
      }
    }
    org.bytedeco.opencv.global.opencv_core.setNumThreads(1); // one core, as the figure claims
    ImageOptions options = new ImageOptions(resize, quality, 0, 90_000_000L);
    System.out.printf(
        Locale.ROOT,
        "bench ingest: %d images of %dx%d (q%d, %.0f KB avg) -> shorter side %d, q%d%n",
        jpegs.size(),
        width,
        height,
        quality,
        jpegs.stream().mapToLong(j -> j.length).sum() / 1024.0 / jpegs.size(),
        resize,
        quality);
    Optional<TurboJpeg> turbo = TurboJpeg.available();
    if (turbo.isPresent()) {
      print(
          "per image, TurboJPEG, one thread",
          IngestBenchmark.processAll(jpegs, options, rounds, turbo.get()));
    } else {
      System.out.println("per image, TurboJPEG: not installed (bin/install-native-libraries.sh)");
    }
    print(
        "per image, OpenCV codec, one thread",
        IngestBenchmark.processAll(jpegs, options, rounds, null));

    Path work = Files.createTempDirectory("pnet-bench-ingest");
    SparkSession spark = SparkSessions.local("pnet bench ingest", 1);
    try {
      List<byte[]> many = new java.util.ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        many.addAll(jpegs);
      }
      print(
          "end to end: class folders -> Parquet shards, Spark local[1]",
          IngestBenchmark.endToEnd(spark, many, options, work));
    } finally {
      spark.stop();
      org.apache.hadoop.fs.FileUtil.fullyDelete(work.toFile());
    }
    return 0;
  }

  private static void print(String what, IngestBenchmark.Result r) {
    System.out.printf(
        Locale.ROOT,
        "  %-58s %7.1f images/s per core (%.2f ms/image, %d images)%n",
        what,
        r.imagesPerSecond(),
        1000 / r.imagesPerSecond(),
        r.images());
  }
}
