package org.parameternet.jobs;

import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.parameternet.train.ExistingRunException;
import org.parameternet.train.Metrics;
import org.parameternet.train.RunLayout;
import org.parameternet.train.TrainConfig;
import org.parameternet.train.Trainer;
import org.parameternet.train.TrainingDivergedException;
import org.parameternet.train.TrainingSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code pnet pretrain}: data-parallel training from ingested shards with parameter averaging. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description =
        "Train a model from scratch on ingested shards (22K pretraining or 1K from scratch) with"
            + " parameter averaging across the Spark executors.")
final class PretrainCommand implements Callable<Integer> {
  @Mixin TrainOptions options;

  @Override
  public Integer call() throws Exception {
    TrainConfig config = options.load();
    if (!config.init().checkpoint().isBlank()) {
      throw new IllegalArgumentException(
          "train.init.checkpoint is set: that is a finetuning run, use pnet finetune");
    }
    return run("pretrain", config, options.resume);
  }

  /** Runs a validated configuration; shared with {@code pnet finetune}. */
  static int run(String stage, TrainConfig config, boolean resume) throws Exception {
    SparkSession spark = SparkSessions.create("pnet " + stage + " " + config.model());
    try {
      TrainingSummary summary;
      try {
        summary = Trainer.run(spark, config, resume);
      } catch (ExistingRunException e) {
        throw new IllegalArgumentException(e.getMessage() + " (--resume continues it)", e);
      }
      System.out.printf(
          "%s %s: %d steps, %d images, checkpoint %s%n",
          stage,
          config.model(),
          summary.state().iteration(),
          summary.state().images(),
          summary.checkpoint());
      summary
          .lastEpoch()
          .filter(Metrics.Epoch::validated)
          .ifPresent(
              last ->
                  System.out.printf(
                      "last epoch: loss %.4f, val top-1 %.2f%%, top-5 %.2f%%%n",
                      last.loss(), last.valTop1(), last.valTop5()));
      System.out.println("metrics: " + new RunLayout(new Path(config.out())).metrics());
      return 0;
    } catch (TrainingDivergedException e) {
      System.err.println("pnet " + stage + ": " + e.getMessage());
      return 3;
    } finally {
      spark.stop();
    }
  }
}
