package org.parameternet.benchmark;

import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.sql.SparkSession;
import org.bytedeco.opencv.global.opencv_core;
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
 * each JPEG codec, and the whole job through Parquet, each figure between two runs of a baseline
 * (Pillow, for {@code pnet bench ingest}) on the same files: this machine's speed drifts between
 * minutes, so each figure is compared with its neighbours. {@link #run} is the whole benchmark; the
 * other methods are its parts.
 */
public final class IngestBenchmark {
  private IngestBenchmark() {}

  /** Warm-up jobs stop when two in a row differ by at most this fraction of the rate. */
  public static final double STEADY = 0.05;

  static final int MAX_WARM_UP_JOBS = 8;

  public record Result(int images, double seconds) {
    public double imagesPerSecond() {
      return images / seconds;
    }
  }

  /**
   * The benchmark's settings, {@code pnet bench ingest}'s options: {@code images} distinct inputs
   * of {@code width x height} at {@code quality} (crops of the JPEGs and PNGs under {@code photos},
   * or photo-like noise where it is null), resized to a shorter side of {@code resize}, {@code
   * rounds} passes per image figure; {@code endToEndRuns} timed ingest jobs of {@code
   * endToEndImages} each; the inputs also saved in {@code keep} unless it is null. With {@code
   * corpus} set, the inputs are instead the first {@code images} JPEG files under it, as they are
   * (a corpus like the user's: {@code tools/bench/realistic-corpus.sh} cuts one from real
   * photographs at ImageNet's sizes and file sizes), and {@code width}, {@code height} and the
   * input quality do not apply.
   */
  public record Settings(
      int images,
      int rounds,
      int width,
      int height,
      int quality,
      int resize,
      int endToEndImages,
      int endToEndRuns,
      Path keep,
      Path photos,
      Path corpus) {
    public Settings {
      if (photos != null && corpus != null) {
        throw new IllegalArgumentException(
            "bench.ingest: give photos (to cut crops from) or corpus (files used as they are),"
                + " not both");
      }
      if (endToEndRuns < 1) {
        throw new IllegalArgumentException(
            "bench.ingest.end-to-end-runs must be >= 1, got " + endToEndRuns);
      }
    }
  }

  /** The reference the figures are compared with, run on the folder of input files. */
  public interface Baseline {
    /** Images/s, or empty where the baseline cannot run here (which skips the comparison). */
    OptionalDouble imagesPerSecond(Path inputs) throws Exception;
  }

  /** The JPEG codec of a per-image figure. */
  public enum Codec {
    TURBO_JPEG,
    OPEN_CV
  }

  /**
   * A job's fixed cost in a warm JVM ({@code secondsPerJob}) and its marginal rate, from a job of
   * {@code fewImages} and one of {@code manyImages}.
   */
  public record FixedCost(
      double secondsPerJob, double marginalImagesPerSecond, int fewImages, int manyImages) {}

  /**
   * Each figure divided by the mean of the baseline runs before and after it: the per-image ones
   * ({@code turboJpeg} empty where TurboJPEG is not installed), each end-to-end run, their median;
   * and the steady state, the marginal rate of {@link FixedCost} against the mean of the baseline
   * runs around the timed jobs (empty when the jobs are too small to fit the line).
   */
  public record Comparison(
      OptionalDouble turboJpeg,
      double openCv,
      double[] endToEndRuns,
      double endToEndMedian,
      OptionalDouble steadyState) {}

  /**
   * What the benchmark finds, told as it goes (the baseline's own output falls between), so a
   * caller can print each figure when it is measured.
   */
  public interface Progress {
    void photographs(int count, Path root);

    void inputs(int count, double averageKilobytes);

    void perImage(Codec codec, Result result);

    /** The TurboJPEG figure's calls timed one by one. */
    void stages(JpegStageTimes times);

    void turboJpegMissing();

    void endToEnd(Result result);

    /** Warm-up job {@code job} (from 1) of the timed size, until two in a row agree. */
    void warmUp(int job, Result result);

    void fixedCost(FixedCost cost);

    void comparedWithBaseline(Comparison comparison);

    /** The scratch folder stayed: it holds files the benchmark did not write. */
    void scratchLeft(Path work);
  }

  /**
   * The whole benchmark: inputs, the per-image figures on one thread, then the end-to-end jobs on
   * the one-core session {@code spark} supplies (started after the per-image figures, stopped at
   * the end), the baseline before and after each figure, and the comparison. Works in a fresh
   * temporary folder and removes only what it wrote there.
   */
  public static void run(
      Settings settings, Supplier<SparkSession> spark, Baseline baseline, Progress progress)
      throws Exception {
    new BenchmarkRun(settings, baseline, progress).run(spark);
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
    return IngestOptions.builder(
            IngestFormat.FOLDERS, source.toUri().toString(), out.toUri().toString())
        .resize(options.shorterSide())
        .build();
  }

  /** The JPEG and PNG files under {@code root}, in order. */
  static List<Path> photoFiles(Path root, Progress progress) throws IOException {
    List<Path> found = filesUnder(root, ".*\\.(jpe?g|png)$", "bench.ingest.photos", "JPEG or PNG");
    progress.photographs(found.size(), root);
    return found;
  }

  /** The bytes of the first {@code count} JPEG files under {@code root}, in name order. */
  static List<byte[]> corpusFiles(Path root, int count) throws IOException {
    List<Path> found = filesUnder(root, ".*\\.jpe?g$", "bench.ingest.corpus", "JPEG");
    List<byte[]> jpegs = new ArrayList<>();
    for (Path file : found.subList(0, Math.min(count, found.size()))) {
      jpegs.add(Files.readAllBytes(file));
    }
    return jpegs;
  }

  /** The files under {@code root} whose lower-cased path matches {@code regex}, in order. */
  private static List<Path> filesUnder(Path root, String regex, String key, String kind)
      throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      List<Path> found =
          files
              .filter(Files::isRegularFile)
              .filter(f -> f.toString().toLowerCase(Locale.ROOT).matches(regex))
              .sorted()
              .toList();
      if (found.isEmpty()) {
        throw new IllegalArgumentException(key + " " + root + ": no " + kind + " files under it");
      }
      return found;
    }
  }

  /** The entries the benchmark creates in its scratch folder. */
  private static final Pattern OWN_ENTRY =
      Pattern.compile(
          "inputs|timed-input|small-input|first-job|warm-up-\\d+|fixed-cost|end-to-end-\\d+");

  /**
   * The entries a finished ingest writes in its output: the manifest, Hadoop's checksum of it, and
   * version folders ({@code v-} and a UUID).
   */
  private static final Pattern DATASET_ENTRY =
      Pattern.compile(
          "_dataset\\.json|\\._dataset\\.json\\.crc|v-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}");

  /**
   * Removes the benchmark's scratch folder: the entries it creates there, by name, then the folder
   * itself only if nothing else is left in it. The folder is a fresh owner-only temporary folder,
   * so nothing else should be there; a file someone put there anyway stays, and so does the folder.
   *
   * @return whether the folder is gone
   */
  static boolean removeScratch(Path work) throws IOException {
    return removeOwn(work, OWN_ENTRY);
  }

  /**
   * Removes one timed job's output: the entries ingest wrote there, by name, then the folder if
   * nothing else is left. A file someone put beside them stays, and so does the folder.
   *
   * @return whether the folder is gone
   */
  static boolean removeJobOutput(Path out) throws IOException {
    return removeOwn(out, DATASET_ENTRY);
  }

  /**
   * Deletes the entries of {@code folder} named as the benchmark or its ingest jobs name them, then
   * the folder only if that left it empty: {@code Files.delete} refuses a folder that is not, so a
   * file someone put beside those entries keeps the folder and itself ({@code
   * IngestBenchmarkScratchTest} has one present). {@code folder} is always the benchmark's own
   * fresh owner-only temporary folder or a job output inside it; an entry it deletes whole is one
   * an ingest job of the benchmark wrote there.
   */
  private static boolean removeOwn(Path folder, Pattern own) throws IOException {
    try (var entries = Files.list(folder)) {
      for (Path entry : entries.toList()) {
        if (own.matcher(entry.getFileName().toString()).matches()) {
          FileUtil.fullyDelete(entry.toFile());
        }
      }
    }
    try {
      Files.delete(folder);
      return true;
    } catch (DirectoryNotEmptyException foreign) {
      return false;
    }
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

  /** One run of {@link #run}: its settings, scratch folder and the baseline's figures so far. */
  private static final class BenchmarkRun {
    private final Settings settings;
    private final Baseline baseline;
    private final Progress progress;
    private final ImageOptions options;
    // the baseline runs between the figures; each figure is compared with the two around it
    private final List<OptionalDouble> baselineRuns = new ArrayList<>();
    private Path work;
    private Path inputs;
    private FixedCost fixedCost;

    BenchmarkRun(Settings settings, Baseline baseline, Progress progress) {
      this.settings = settings;
      this.baseline = baseline;
      this.progress = progress;
      this.options = new ImageOptions(settings.resize(), settings.quality(), 0, 90_000_000L);
    }

    void run(Supplier<SparkSession> sparkSession) throws Exception {
      List<byte[]> jpegs = inputJpegs();
      opencv_core.setNumThreads(1); // one core, as the figures claim
      progress.inputs(
          jpegs.size(), jpegs.stream().mapToLong(j -> j.length).sum() / 1024.0 / jpegs.size());
      work = Files.createTempDirectory("pnet-bench-ingest");
      SparkSession spark = null;
      try {
        inputs = writeInputs(jpegs);
        runBaseline();
        PerImage perImage = perImage(jpegs);
        runBaseline();
        spark = sparkSession.get();
        List<Result> endToEnd = endToEndJobs(spark, jpegs);
        if (baselineRuns.stream().allMatch(OptionalDouble::isPresent)) {
          progress.comparedWithBaseline(compare(perImage, endToEnd));
        }
      } finally {
        if (spark != null) {
          spark.stop();
        }
        if (!removeScratch(work)) {
          progress.scratchLeft(work);
        }
      }
    }

    private List<byte[]> inputJpegs() throws IOException {
      Settings s = settings;
      if (s.corpus() != null) {
        return corpusFiles(s.corpus(), s.images());
      }
      return s.photos() == null
          ? sampleJpegs(s.images(), s.width(), s.height(), s.quality(), 7)
          : photoCrops(
              photoFiles(s.photos(), progress), s.images(), s.width(), s.height(), s.quality(), 7);
    }

    private void runBaseline() throws Exception {
      baselineRuns.add(baseline.imagesPerSecond(inputs));
    }

    /** The inputs as files, also under {@code keep}; returns their folder. */
    private Path writeInputs(List<byte[]> jpegs) throws IOException {
      // The baseline reads every file in its folder: a fresh one holds exactly these inputs
      Path folder = work.resolve("inputs");
      Files.createDirectories(folder);
      Path keep = settings.keep();
      if (keep != null) {
        Files.createDirectories(keep);
      }
      for (int i = 0; i < jpegs.size(); i++) {
        String name = String.format(Locale.ROOT, "img_%05d.jpg", i);
        Files.write(folder.resolve(name), jpegs.get(i));
        if (keep != null) {
          Files.write(keep.resolve(name), jpegs.get(i));
        }
      }
      return folder;
    }

    /** The per-image figures; {@code turbo} is null where TurboJPEG is not installed. */
    private record PerImage(Result turbo, Result openCv) {}

    private PerImage perImage(List<byte[]> jpegs) throws TurboJpeg.JpegException {
      Optional<TurboJpeg> turbo = TurboJpeg.available();
      Result turboFigure = null;
      if (turbo.isPresent()) {
        turboFigure = processAll(jpegs, options, settings.rounds(), turbo.get());
        progress.perImage(Codec.TURBO_JPEG, turboFigure);
        progress.stages(JpegStageTimes.measure(jpegs, options, settings.rounds(), turbo.get()));
      } else {
        progress.turboJpegMissing();
      }
      Result openCv = processAll(jpegs, options, settings.rounds(), null);
      progress.perImage(Codec.OPEN_CV, openCv);
      return new PerImage(turboFigure, openCv);
    }

    /**
     * The timed end-to-end jobs, a baseline run after each, then the fixed cost. Before them the
     * JVM warms up until two jobs in a row agree within {@link #STEADY}: Spark's code paths keep
     * compiling for some 10,000 images (a job of 2,400 sped up from 5.4 to 3.2 ms an image over six
     * jobs here), and a long ingest runs at the warm rate.
     */
    private List<Result> endToEndJobs(SparkSession spark, List<byte[]> jpegs) throws Exception {
      int images = settings.endToEndImages();
      Path timedInput = classFolders(work.resolve("timed-input"), jpegs, images);
      int small = Math.min(600, images);
      Path smallInput = classFolders(work.resolve("small-input"), jpegs, small);
      endToEnd(spark, smallInput, small, options, work.resolve("first-job"));
      warmUp(spark, timedInput, images);
      List<Result> timed = new ArrayList<>();
      for (int run = 0; run < settings.endToEndRuns(); run++) {
        timed.add(timedJob(spark, timedInput, images, "end-to-end-" + run));
        progress.endToEnd(timed.get(run));
        runBaseline();
      }
      fixedCost(spark, smallInput, small, timed);
      return timed;
    }

    private void warmUp(SparkSession spark, Path input, int images) throws IOException {
      double previous = 0;
      for (int job = 1; job <= MAX_WARM_UP_JOBS; job++) {
        Result r = timedJob(spark, input, images, "warm-up-" + job);
        progress.warmUp(job, r);
        double rate = r.imagesPerSecond();
        if (previous > 0 && Math.abs(rate - previous) <= STEADY * previous) {
          return;
        }
        previous = rate;
      }
    }

    /** One job into a fresh output, removed after it so the runs do not fill the disk. */
    private Result timedJob(SparkSession spark, Path input, int images, String name)
        throws IOException {
      Path out = work.resolve(name);
      Result r = endToEnd(spark, input, images, options, out);
      // Only the dataset this ingest just wrote, so the runs do not fill the disk; anything else
      // in the folder stays until the whole scratch folder (fresh, owner-only) is removed
      removeJobOutput(out);
      return r;
    }

    /**
     * A job's fixed cost in a warm JVM and its marginal rate, the steady state of a long ingest: a
     * line through the fastest timed job and the faster of two jobs over {@code small} images.
     * Other work on the machine only ever adds time, so the fastest run of each size is the one
     * least disturbed; with the median, one slowed small job once made the line steeper than the
     * per-image work itself (615 against 426 images/s).
     */
    private void fixedCost(SparkSession spark, Path smallInput, int small, List<Result> timed)
        throws IOException {
      Result large = timed.stream().min(Comparator.comparingDouble(Result::seconds)).orElseThrow();
      if (large.images() <= small) {
        return;
      }
      Result first = timedJob(spark, smallInput, small, "fixed-cost");
      Result second = timedJob(spark, smallInput, small, "fixed-cost");
      Result few = first.seconds() <= second.seconds() ? first : second;
      double marginal = (large.images() - few.images()) / (large.seconds() - few.seconds());
      this.fixedCost =
          new FixedCost(
              few.seconds() - few.images() / marginal, marginal, few.images(), large.images());
      progress.fixedCost(fixedCost);
    }

    /**
     * Each figure against the mean of the baseline runs just before and after it: the first two
     * runs frame the per-image figures, runs i+1 and i+2 the i-th end-to-end run.
     */
    private Comparison compare(PerImage perImage, List<Result> endToEnd) {
      double around = aroundRun(0);
      OptionalDouble turbo =
          perImage.turbo() == null
              ? OptionalDouble.empty()
              : OptionalDouble.of(perImage.turbo().imagesPerSecond() / around);
      double[] ratios = new double[endToEnd.size()];
      for (int run = 0; run < ratios.length; run++) {
        ratios[run] = endToEnd.get(run).imagesPerSecond() / aroundRun(run + 1);
      }
      double[] sorted = ratios.clone();
      Arrays.sort(sorted);
      // the marginal rate comes from the timed jobs, so it is set against all their baseline runs
      OptionalDouble steady =
          fixedCost == null
              ? OptionalDouble.empty()
              : OptionalDouble.of(fixedCost.marginalImagesPerSecond() / timedBaselineMean());
      return new Comparison(
          turbo,
          perImage.openCv().imagesPerSecond() / around,
          ratios,
          sorted[sorted.length / 2],
          steady);
    }

    /** The mean of the baseline runs around the timed jobs: all but the first. */
    private double timedBaselineMean() {
      return baselineRuns.subList(1, baselineRuns.size()).stream()
          .mapToDouble(OptionalDouble::getAsDouble)
          .average()
          .orElseThrow();
    }

    /** The mean of baseline runs {@code first} and {@code first + 1}. */
    private double aroundRun(int first) {
      return (baselineRuns.get(first).getAsDouble() + baselineRuns.get(first + 1).getAsDouble())
          / 2;
    }
  }
}
