package org.parameternet.jobs;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.parameternet.benchmark.ModelBenchmark;
import org.parameternet.report.ResultRow;
import org.parameternet.report.ResultsTable;
import org.parameternet.spark.ExecutorPaths;
import org.parameternet.train.CheckpointEvaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet evaluate}: a checkpoint's top-1/top-5, cost and speed, appended to a results table.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Distributed top-1/top-5 of a checkpoint on ingested validation shards, with params, FLOPs,"
            + " single-thread latency (DL4J and ONNX Runtime) and throughput; appends one row to a"
            + " results table.")
final class EvaluateCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      description = "A checkpoint directory, or a training run directory (its latest checkpoint).")
  String checkpoint;

  @Option(names = "--data", required = true, description = "Ingested validation data set.")
  String data;

  @Option(names = "--split", description = "Default: ${DEFAULT-VALUE}.")
  String split;

  @Option(
      names = "--results",
      required = true,
      description = "Results table directory (rows are appended, never replaced).")
  String results;

  @Option(
      names = "--weights",
      description = "auto (EMA when the checkpoint has it), ema or raw. Default: ${DEFAULT-VALUE}.")
  String weights;

  @Option(
      names = "--pretrain-label",
      description = "Name of the pretraining data in the table (default: its directory name).")
  String pretrainLabel;

  @Option(
      names = "--finetune-label",
      description = "Name of the finetuning data in the table (default: its directory name).")
  String finetuneLabel;

  @Option(names = "--batch", description = "Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--latency-warmup",
      description = "Untimed batch-1 runs before the timed ones. Default: ${DEFAULT-VALUE}.")
  int latencyWarmup;

  @Option(
      names = "--latency-runs",
      description =
          "Timed batch-1 single-thread runs (median reported). Default: ${DEFAULT-VALUE}.")
  int latencyRuns;

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || latencyRuns < 1) {
      throw new IllegalArgumentException("--batch and --latency-runs must be >= 1");
    }
    SparkSession spark = SparkSessions.create("pnet evaluate");
    try {
      // before the evaluation pass: executors read --data and write the results table's rows
      ExecutorPaths.requireShared(spark, new Path(data), "--data");
      ExecutorPaths.requireShared(spark, new Path(results), "--results");
      CheckpointEvaluation.Outcome o =
          CheckpointEvaluation.run(spark, checkpoint, data, split, weights, batch);
      double latency =
          SingleThreadLatency.measure(
              o.spec().name(),
              o.spec().resolution(),
              o.spec().numClasses(),
              latencyWarmup,
              latencyRuns);
      ResultRow row =
          ResultRow.of(
              o,
              pretrainLabel != null ? pretrainLabel : lastName(o.pretrainData()),
              finetuneLabel != null
                  ? finetuneLabel
                  : (o.finetuneData().isEmpty() ? "" : lastName(o.finetuneData())),
              latency,
              ModelBenchmark.onnxLatency(
                      o.spec(), latencyWarmup, latencyRuns, ModelBenchmark.Quiet.NONE)
                  .medianMs(),
              VersionProvider.gitCommit());
      ResultsTable.append(spark, results, row);
      System.out.printf(
          Locale.ROOT,
          "evaluate %s (%s weights, %d images): top-1 %.2f%%, top-5 %.2f%%, %.2fM params,"
              + " %.1fM FLOPs, latency %.1f ms (ONNX Runtime %.1f ms), %.1f img/s at batch %d%n",
          row.model(),
          row.weights(),
          row.evalImages(),
          row.top1(),
          row.top5(),
          row.params() / 1e6,
          row.flops() / 1e6,
          row.latencyMs(),
          row.onnxLatencyMs(),
          row.imagesPerSecond(),
          batch);
      System.out.println("results: " + results + "/results.csv");
      return 0;
    } finally {
      spark.stop();
    }
  }

  private static String lastName(String path) {
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    return trimmed.substring(trimmed.lastIndexOf('/') + 1);
  }
}
