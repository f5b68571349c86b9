package org.parameternet.jobs;

import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import org.parameternet.benchmark.IngestBenchmark;
import org.parameternet.benchmark.IngestBenchmark.Codec;
import org.parameternet.benchmark.IngestBenchmark.Comparison;
import org.parameternet.benchmark.IngestBenchmark.FixedCost;
import org.parameternet.benchmark.IngestBenchmark.Result;
import org.parameternet.benchmark.JpegStageTimes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet bench ingest}: images/s on one core for decode -> RGB -> resize -> JPEG encode of
 * photo-like JPEGs, with TurboJPEG and with OpenCV's codec, then the whole ingest job to Parquet on
 * one core, each figure between two runs of the straightforward Pillow script on the same files
 * ({@link IngestBenchmark#run} runs it all; this class parses, prints the figures as they come and
 * supplies the Pillow baseline); with {@code --keep DIR} the inputs are kept so other tools can be
 * timed on them too.
 */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = "Per-core throughput of ingest's image work on photo-like JPEGs.")
final class BenchIngestCommand implements Callable<Integer> {
  @Option(names = "--images", description = "Distinct input images. Default: ${DEFAULT-VALUE}.")
  int images;

  @Option(names = "--rounds", description = "Passes over the images. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--width", description = "Default: ${DEFAULT-VALUE}.")
  int width;

  @Option(names = "--height", description = "Default: ${DEFAULT-VALUE}.")
  int height;

  @Option(
      names = "--quality",
      description = "Input and output JPEG quality. Default: ${DEFAULT-VALUE}.")
  int quality;

  @Option(
      names = "--resize",
      description = "Shorter side after resizing. Default: ${DEFAULT-VALUE}.")
  int resize;

  @Option(
      names = "--end-to-end-images",
      description =
          "Images through the whole ingest job (cycled from the distinct ones), after warm-up"
              + " jobs of that size until two in a row agree within 5%. Default: ${DEFAULT-VALUE}.")
  int endToEndImages;

  @Option(
      names = "--end-to-end-runs",
      description =
          "Timed end-to-end jobs, each between two Pillow runs; the median ratio is printed."
              + " Default: ${DEFAULT-VALUE}.")
  int endToEndRuns;

  @Option(
      names = "--python",
      description =
          "Python with Pillow for the baseline, run before and after pnet's figures on the same"
              + " files; 'none' skips it. Default: ${DEFAULT-VALUE}.")
  String python;

  @Option(names = "--keep", description = "Directory to save the input JPEGs in.")
  Path keep;

  @Option(
      names = "--photos",
      description =
          "Directory of real photographs (JPEG or PNG, searched recursively) to cut the input"
              + " crops from, instead of drawing photo-like noise; e.g. /usr/share/backgrounds"
              + " after apt-get install gnome-backgrounds mate-backgrounds.")
  Path photos;

  @Option(
      names = "--corpus",
      description =
          "Directory of JPEGs to use as they are (the first --images files, in name order),"
              + " instead of generated inputs: a sample of your own data, or the realistic corpus"
              + " tools/bench/realistic-corpus.sh cuts from real photographs at ImageNet's sizes.")
  Path corpus;

  @Override
  public Integer call() throws Exception {
    IngestBenchmark.Settings settings =
        new IngestBenchmark.Settings(
            images,
            rounds,
            width,
            height,
            quality,
            resize,
            endToEndImages,
            endToEndRuns,
            keep,
            photos,
            corpus);
    IngestBenchmark.run(
        settings, () -> SparkSessions.local("pnet bench ingest", 1), this::pillow, new Printer());
    return 0;
  }

  private OptionalDouble pillow(Path inputs) throws Exception {
    if (python.equals("none")) {
      return OptionalDouble.empty();
    }
    return PillowBaseline.run(python, inputs, resize, quality, rounds);
  }

  /** Prints each of the benchmark's findings as it comes, between the Pillow runs' own lines. */
  private final class Printer implements IngestBenchmark.Progress {
    @Override
    public void photographs(int count, Path root) {
      System.out.printf(Locale.ROOT, "cutting crops from %d photographs under %s%n", count, root);
    }

    @Override
    public void inputs(int count, double averageKilobytes) {
      if (corpus != null) {
        System.out.printf(
            Locale.ROOT,
            "bench ingest: %d JPEGs of %s as they are (%.0f KB avg) -> shorter side %d, q%d%n",
            count,
            corpus,
            averageKilobytes,
            resize,
            quality);
        return;
      }
      System.out.printf(
          Locale.ROOT,
          "bench ingest: %d %s of %dx%d (q%d, %.0f KB avg) -> shorter side %d, q%d%n",
          count,
          photos == null ? "photo-like images" : "crops of photographs",
          width,
          height,
          quality,
          averageKilobytes,
          resize,
          quality);
    }

    @Override
    public void perImage(Codec codec, Result result) {
      print(
          codec == Codec.TURBO_JPEG
              ? "per image, TurboJPEG, one thread"
              : "per image, OpenCV codec, one thread",
          result);
    }

    @Override
    public void stages(JpegStageTimes t) {
      System.out.printf(
          Locale.ROOT,
          "  %-58s header %.2f, decode (entropy, IDCT, colour) %.2f, resize %.2f, encode %.2f ms%n",
          "per image, TurboJPEG, by call",
          t.headerMs(),
          t.decodeMs(),
          t.resizeMs(),
          t.encodeMs());
    }

    @Override
    public void turboJpegMissing() {
      System.out.println("per image, TurboJPEG: not installed (bin/install-native-libraries.sh)");
    }

    @Override
    public void endToEnd(Result result) {
      print("end to end: class folders -> Parquet shards, Spark local[1]", result);
    }

    @Override
    public void warmUp(int job, Result result) {
      String until = String.format(Locale.ROOT, "within %.0f%%", 100 * IngestBenchmark.STEADY);
      print("warm-up job " + job + " (until two in a row agree " + until + ")", result);
    }

    @Override
    public void fixedCost(FixedCost cost) {
      System.out.printf(
          Locale.ROOT,
          "  %-58s %7.2f s per job, then %.1f images/s (%d and %d images)%n",
          "end to end, warm JVM: fixed cost, marginal rate",
          cost.secondsPerJob(),
          cost.marginalImagesPerSecond(),
          cost.fewImages(),
          cost.manyImages());
    }

    @Override
    public void comparedWithBaseline(Comparison comparison) {
      System.out.printf(
          Locale.ROOT, "vs Pillow (the mean of the Pillow runs before and after each figure):%n");
      comparison.turboJpeg().ifPresent(r -> ratio("per image, TurboJPEG", r));
      ratio("per image, OpenCV codec", comparison.openCv());
      double[] runs = comparison.endToEndRuns();
      for (int run = 0; run < runs.length; run++) {
        ratio("end to end to Parquet, run " + (run + 1), runs[run]);
      }
      ratio("end to end to Parquet, median", comparison.endToEndMedian());
      comparison
          .steadyState()
          .ifPresent(r -> ratio("end to end, steady state (the marginal rate)", r));
    }

    @Override
    public void scratchLeft(Path work) {
      System.err.println(
          "bench ingest: left " + work + ": it holds files the benchmark did not write");
    }

    private static void ratio(String what, double ratio) {
      System.out.printf(Locale.ROOT, "  %-58s %7.2fx%n", what, ratio);
    }

    private static void print(String what, Result r) {
      System.out.printf(
          Locale.ROOT,
          "  %-58s %7.1f images/s per core (%.2f ms/image, %d images)%n",
          what,
          r.imagesPerSecond(),
          1000 / r.imagesPerSecond(),
          r.images());
    }
  }
}
