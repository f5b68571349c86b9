package org.parameternet.jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.parameternet.benchmark.TrainingBenchmark;
import org.parameternet.data.synth.SynthLayout;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestJob;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.model.ModelRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet bench train}: per-worker training throughput, the share of wall time outside training
 * steps at several averaging frequencies, and the loader's images/s next to what training consumes.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Parameter-averaging overhead per averaging frequency and loader vs training throughput.")
final class BenchTrainCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      split = ",",
      description = "Models, as name or name@resolution. Default: ${DEFAULT-VALUE}.")
  List<String> models;

  @Option(
      names = "--frequency",
      split = ",",
      description = "Averaging frequencies. Default: ${DEFAULT-VALUE}.")
  int[] frequencies;

  @Option(
      names = "--rounds",
      description =
          "Timed averaging rounds per frequency (after one warm-up). Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--batch", description = "Minibatch per worker. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--workers",
      description = "Workers; 0 = Spark's default parallelism. Default: ${DEFAULT-VALUE}.")
  int workers;

  @Option(
      names = "--loader-batches",
      description = "Minibatches the loader alone is timed on. Default: ${DEFAULT-VALUE}.")
  int loaderBatches;

  @Option(
      names = "--data",
      description = "An ingested data set with a train split; default: a synthesized one (256 px).")
  String data;

  @Override
  public Integer call() throws Exception {
    for (String m : models) {
      ModelRegistry.get(m.split("@")[0]); // unknown names fail before Spark starts
    }
    SparkSession spark = SparkSessions.create("pnet bench train");
    Path scratch = null;
    try {
      String dataset = data;
      if (dataset == null) {
        scratch = Files.createTempDirectory("pnet-bench-train");
        dataset = synthesize(spark, scratch);
      }
      int n =
          workers > 0
              ? workers
              : JavaSparkContext.fromSparkContext(spark.sparkContext()).defaultParallelism();
      System.out.printf(
          Locale.ROOT,
          "bench train: %d workers, batch %d per worker, %d timed rounds per frequency%n",
          n,
          batch,
          rounds);
      System.out.println(
          "| model | res | params | frequency | s/round | ms/step | img/s per worker | outside steps | loader img/s (1 thread) | loader / consumption |");
      System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      for (String m : models) {
        String name = m.split("@")[0];
        int res = m.contains("@") ? Integer.parseInt(m.split("@")[1]) : 0;
        TrainingBenchmark.LoaderResult loader =
            TrainingBenchmark.loader(spark, dataset, name, res, batch, loaderBatches);
        for (TrainingBenchmark.FrequencyResult r :
            TrainingBenchmark.averaging(spark, dataset, name, res, batch, n, frequencies, rounds)) {
          System.out.printf(
              Locale.ROOT,
              "| %s | %d | %.1fM | %d | %.2f | %.0f | %.1f | %.1f%% | %.0f | %.1fx |%n",
              r.model(),
              r.resolution(),
              r.params() / 1e6,
              r.frequency(),
              r.roundSeconds(),
              r.stepMs(),
              r.imagesPerSecondPerWorker(),
              100 * r.overheadShare(),
              loader.imagesPerSecond(),
              loader.imagesPerSecond() / r.imagesPerSecondPerWorker());
        }
      }
      return 0;
    } finally {
      spark.stop();
      if (scratch != null) {
        FileSystem.getLocal(new Configuration())
            .delete(new org.apache.hadoop.fs.Path(scratch.toUri()), true);
      }
    }
  }

  private static String synthesize(SparkSession spark, Path dir) throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    org.apache.hadoop.fs.Path synth = new org.apache.hadoop.fs.Path(dir.resolve("synth").toUri());
    SynthWriter.write(
        fs,
        synth,
        SynthSpec.builder()
            .classes22k(20)
            .classes1k(20)
            .perClass22k(10, 10)
            .perClass1k(40, 2)
            .size(256)
            .seed(3)
            .build());
    String out = dir.resolve("train").toUri().toString();
    IngestJob.run(
        spark,
        IngestOptions.builder(
                IngestFormat.IN1K_TRAIN, new SynthLayout(synth).in1kTrainTar().toString(), out)
            .resize(256)
            .build());
    return out;
  }
}
