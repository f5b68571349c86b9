package org.parameternet.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.parameternet.benchmark.IngestBenchmark;
import org.parameternet.data.image.ImageOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet bench ingest}: images/s on one core for decode -> RGB -> resize -> JPEG encode of
 * photo-like JPEGs; with {@code --keep DIR} the inputs are saved so another tool (a Pillow script,
 * say) can be timed on exactly the same files.
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
    IngestBenchmark.Result r =
        IngestBenchmark.processAll(
            jpegs, new ImageOptions(resize, quality, 0, 90_000_000L), rounds);
    System.out.printf(
        Locale.ROOT,
        "bench ingest: %d images of %dx%d (q%d, %.0f KB avg) -> shorter side %d, q%d: %.1f images/s on one core (%.2f ms/image)%n",
        r.images(),
        width,
        height,
        quality,
        r.inputBytes() / 1024.0 / r.images(),
        resize,
        quality,
        r.imagesPerSecond(),
        1000 / r.imagesPerSecond());
    return 0;
  }
}
