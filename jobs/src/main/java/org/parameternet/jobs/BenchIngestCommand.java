package org.parameternet.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.sql.SparkSession;
import org.parameternet.benchmark.IngestBenchmark;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.image.TurboJpeg;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet bench ingest}: images/s on one core for decode -> RGB -> resize -> JPEG encode of
 * photo-like JPEGs, with TurboJPEG and with OpenCV's codec, then the whole ingest job to Parquet on
 * one core, each figure between two runs of the straightforward Pillow script on the same files
 * (this machine's speed drifts between minutes, so each figure is compared with its neighbours);
 * with {@code --keep DIR} the inputs are kept so other tools can be timed on them too.
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
          "Images through the whole ingest job (cycled from the distinct ones), after a warm-up"
              + " job of 600. Default: ${DEFAULT-VALUE}.")
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

  @Override
  public Integer call() throws Exception {
    if (endToEndRuns < 1) {
      throw new IllegalArgumentException("--end-to-end-runs must be >= 1, got " + endToEndRuns);
    }
    List<byte[]> jpegs =
        photos == null
            ? IngestBenchmark.sampleJpegs(images, width, height, quality, 7)
            : IngestBenchmark.photoCrops(photoFiles(photos), images, width, height, quality, 7);
    org.bytedeco.opencv.global.opencv_core.setNumThreads(1); // one core, as the figure claims
    ImageOptions options = new ImageOptions(resize, quality, 0, 90_000_000L);
    printInputs(jpegs);
    Path work = Files.createTempDirectory("pnet-bench-ingest");
    SparkSession spark = null;
    try {
      Path inputs = writeInputs(work, jpegs);
      // Pillow runs between pnet's figures; each is compared with the two Pillow runs around it
      List<OptionalDouble> pillow = new ArrayList<>();
      pillow.add(pillow(inputs));
      PerImage perImage = perImage(jpegs, options);
      pillow.add(pillow(inputs));
      spark = SparkSessions.local("pnet bench ingest", 1);
      List<IngestBenchmark.Result> endToEnd =
          endToEndJobs(spark, work, jpegs, options, inputs, pillow);
      if (pillow.stream().allMatch(OptionalDouble::isPresent)) {
        compareWithPillow(pillow, perImage, endToEnd);
      }
    } finally {
      if (spark != null) {
        spark.stop();
      }
      removeScratch(work);
    }
    return 0;
  }

  /** The entries the benchmark creates in its scratch folder. */
  private static final java.util.regex.Pattern OWN_ENTRY =
      java.util.regex.Pattern.compile(
          "inputs|timed-input|warm-up-input|warm-up|fixed-cost|end-to-end-\\d+");

  /**
   * Removes the benchmark's scratch folder: the entries it creates there, by name, then the folder
   * itself only if nothing else is left in it. The folder is a fresh owner-only temporary folder,
   * so nothing else should be there; a file someone put there anyway stays, and so does the folder.
   */
  static void removeScratch(Path work) throws IOException {
    try (var entries = Files.list(work)) {
      for (Path entry : entries.toList()) {
        if (OWN_ENTRY.matcher(entry.getFileName().toString()).matches()) {
          FileUtil.fullyDelete(entry.toFile());
        }
      }
    }
    try {
      Files.delete(work);
    } catch (java.nio.file.DirectoryNotEmptyException foreign) {
      System.err.println(
          "bench ingest: left " + work + ": it holds files the benchmark did not write");
    }
  }

  private void printInputs(List<byte[]> jpegs) {
    System.out.printf(
        Locale.ROOT,
        "bench ingest: %d %s of %dx%d (q%d, %.0f KB avg) -> shorter side %d, q%d%n",
        jpegs.size(),
        photos == null ? "photo-like images" : "crops of photographs",
        width,
        height,
        quality,
        jpegs.stream().mapToLong(j -> j.length).sum() / 1024.0 / jpegs.size(),
        resize,
        quality);
  }

  /** The inputs as files, also under {@code --keep}; returns their folder. */
  private Path writeInputs(Path work, List<byte[]> jpegs) throws IOException {
    // Pillow reads every file in its folder: a fresh one holds exactly these inputs
    Path inputs = work.resolve("inputs");
    Files.createDirectories(inputs);
    if (keep != null) {
      Files.createDirectories(keep);
    }
    for (int i = 0; i < jpegs.size(); i++) {
      String name = String.format(Locale.ROOT, "img_%05d.jpg", i);
      Files.write(inputs.resolve(name), jpegs.get(i));
      if (keep != null) {
        Files.write(keep.resolve(name), jpegs.get(i));
      }
    }
    return inputs;
  }

  /** The per-image figures; {@code turbo} is null where TurboJPEG is not installed. */
  private record PerImage(IngestBenchmark.Result turbo, IngestBenchmark.Result openCv) {}

  private PerImage perImage(List<byte[]> jpegs, ImageOptions options) {
    Optional<TurboJpeg> turbo = TurboJpeg.available();
    IngestBenchmark.Result perImage = null;
    if (turbo.isPresent()) {
      perImage = IngestBenchmark.processAll(jpegs, options, rounds, turbo.get());
      print("per image, TurboJPEG, one thread", perImage);
    } else {
      System.out.println("per image, TurboJPEG: not installed (bin/install-native-libraries.sh)");
    }
    IngestBenchmark.Result openCv = IngestBenchmark.processAll(jpegs, options, rounds, null);
    print("per image, OpenCV codec, one thread", openCv);
    return new PerImage(perImage, openCv);
  }

  /**
   * The timed end-to-end jobs, a Pillow run after each (added to {@code pillow}), then the fixed
   * cost.
   */
  private List<IngestBenchmark.Result> endToEndJobs(
      SparkSession spark,
      Path work,
      List<byte[]> jpegs,
      ImageOptions options,
      Path inputs,
      List<OptionalDouble> pillow)
      throws Exception {
    // Inputs written once; a smaller warm-up job keeps JIT and first-job costs out of the figures
    Path timedInput =
        IngestBenchmark.classFolders(work.resolve("timed-input"), jpegs, endToEndImages);
    int warmUp = Math.min(600, endToEndImages);
    Path warmUpInput = IngestBenchmark.classFolders(work.resolve("warm-up-input"), jpegs, warmUp);
    IngestBenchmark.endToEnd(spark, warmUpInput, warmUp, options, work.resolve("warm-up"));
    List<IngestBenchmark.Result> endToEnd = new ArrayList<>();
    for (int run = 0; run < endToEndRuns; run++) {
      Path out = work.resolve("end-to-end-" + run);
      endToEnd.add(IngestBenchmark.endToEnd(spark, timedInput, endToEndImages, options, out));
      print("end to end: class folders -> Parquet shards, Spark local[1]", endToEnd.get(run));
      // The output the ingest just created in the fresh scratch folder (ingest refuses a folder
      // that is not empty or its own), removed so the runs do not fill the disk
      FileUtil.fullyDelete(out.toFile());
      pillow.add(pillow(inputs));
    }
    fixedCost(spark, work, warmUpInput, warmUp, options, endToEnd);
    return endToEnd;
  }

  /**
   * Each figure against the mean of the Pillow runs just before and after it: {@code pillow}'s
   * first two runs frame the per-image figures, runs i+1 and i+2 the i-th end-to-end run.
   */
  private static void compareWithPillow(
      List<OptionalDouble> pillow, PerImage perImage, List<IngestBenchmark.Result> endToEnd) {
    double around = (pillow.get(0).getAsDouble() + pillow.get(1).getAsDouble()) / 2;
    System.out.printf(
        Locale.ROOT, "vs Pillow (the mean of the Pillow runs before and after each figure):%n");
    if (perImage.turbo() != null) {
      ratio("per image, TurboJPEG", perImage.turbo().imagesPerSecond() / around);
    }
    ratio("per image, OpenCV codec", perImage.openCv().imagesPerSecond() / around);
    double[] ratios = new double[endToEnd.size()];
    for (int run = 0; run < ratios.length; run++) {
      double pillowRate =
          (pillow.get(run + 1).getAsDouble() + pillow.get(run + 2).getAsDouble()) / 2;
      ratios[run] = endToEnd.get(run).imagesPerSecond() / pillowRate;
      ratio("end to end to Parquet, run " + (run + 1), ratios[run]);
    }
    Arrays.sort(ratios);
    ratio("end to end to Parquet, median", ratios[ratios.length / 2]);
  }

  /**
   * A job's fixed cost in a warm JVM and its marginal rate: one more job over the warm-up's {@code
   * small} images beside the median timed one, a straight line through the two.
   */
  private static void fixedCost(
      SparkSession spark,
      Path work,
      Path smallInput,
      int small,
      ImageOptions options,
      List<IngestBenchmark.Result> timed)
      throws IOException {
    List<IngestBenchmark.Result> sorted = new ArrayList<>(timed);
    sorted.sort(Comparator.comparingDouble(IngestBenchmark.Result::seconds));
    IngestBenchmark.Result large = sorted.get(sorted.size() / 2);
    if (large.images() <= small) {
      return;
    }
    Path out = work.resolve("fixed-cost");
    IngestBenchmark.Result few = IngestBenchmark.endToEnd(spark, smallInput, small, options, out);
    double marginal = (large.images() - few.images()) / (large.seconds() - few.seconds());
    System.out.printf(
        Locale.ROOT,
        "  %-58s %7.2f s per job, then %.1f images/s (%d and %d images)%n",
        "end to end, warm JVM: fixed cost, marginal rate",
        few.seconds() - few.images() / marginal,
        marginal,
        few.images(),
        large.images());
  }

  private static List<Path> photoFiles(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      List<Path> found =
          files
              .filter(Files::isRegularFile)
              .filter(f -> f.toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)$"))
              .sorted()
              .toList();
      if (found.isEmpty()) {
        throw new IllegalArgumentException("--photos " + root + ": no JPEG or PNG files under it");
      }
      System.out.printf(
          Locale.ROOT, "cutting crops from %d photographs under %s%n", found.size(), root);
      return found;
    }
  }

  private OptionalDouble pillow(Path inputs) throws Exception {
    if (python.equals("none")) {
      return OptionalDouble.empty();
    }
    return PillowBaseline.run(python, inputs, resize, quality, rounds);
  }

  private static void ratio(String what, double ratio) {
    System.out.printf(Locale.ROOT, "  %-58s %7.2fx%n", what, ratio);
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
