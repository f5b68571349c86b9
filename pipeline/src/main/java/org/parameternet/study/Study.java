package org.parameternet.study;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.parameternet.benchmark.ModelBenchmark;
import org.parameternet.model.ModelSpec;
import org.parameternet.report.ReportJob;
import org.parameternet.report.ResultRow;
import org.parameternet.report.ResultsTable;
import org.parameternet.spark.ExecutorPaths;
import org.parameternet.train.CheckpointEvaluation;
import org.parameternet.train.Checkpoints;
import org.parameternet.train.TrainConfig;
import org.parameternet.train.Trainer;

/**
 * Runs a whole study: for every model, training on the target data alone, and pretraining on each
 * pretraining set then finetuning on the target; every trained-on-target run evaluated into the
 * results table; then the report. A stage whose output exists is skipped (a finished run, an
 * evaluation already in the table) and an interrupted run resumes from its checkpoint, so an
 * interrupted study continues where it stopped.
 */
public final class Study {
  /** Single-thread batch-1 latency of a model, measured however the caller can. */
  public interface LatencyMeter {
    double medianMs(ModelSpec spec);
  }

  private final SparkSession spark;
  private final StudyConfig study;
  private final LatencyMeter latency;
  private final String gitCommit;
  private final Consumer<String> progress;
  private final FileSystem fs;
  private final List<Stage> stages = new ArrayList<>();

  private record Stage(String description, StageAction action) {}

  private interface StageAction {
    boolean run() throws IOException; // false: skipped, output existed
  }

  private Study(
      SparkSession spark,
      StudyConfig study,
      LatencyMeter latency,
      String gitCommit,
      Consumer<String> progress)
      throws IOException {
    this.spark = spark;
    this.study = study;
    this.latency = latency;
    this.gitCommit = gitCommit;
    this.progress = progress;
    this.fs = new Path(study.out()).getFileSystem(spark.sparkContext().hadoopConfiguration());
  }

  /**
   * Runs the study's stages that have not run yet and reports.
   *
   * @param progress told a line as each stage starts and ends, and each evaluation's top-1
   */
  public static ReportJob.Written run(
      SparkSession spark,
      StudyConfig study,
      LatencyMeter latency,
      String gitCommit,
      Consumer<String> progress)
      throws IOException {
    return new Study(spark, study, latency, gitCommit, progress).run();
  }

  private ReportJob.Written run() throws IOException {
    String results = path("results");
    StudyConfig.DataSet target = study.target();
    // Before any work: the results table is written by executors, the data read by them
    ExecutorPaths.requireShared(spark, new Path(study.out()), "study.out");
    ExecutorPaths.requireShared(spark, new Path(target.train()), "study.target.train");
    ExecutorPaths.requireShared(spark, new Path(target.val()), "study.target.val");
    for (StudyConfig.DataSet pre : study.pretraining()) {
      ExecutorPaths.requireShared(spark, new Path(pre.train()), "study.pretraining.train");
    }
    for (String model : study.models()) {
      String scratch = path("runs/" + model + "-" + target.name());
      TrainConfig scratchConfig = config(study.scratch(), model, target, scratch, "");
      stages.add(new Stage("train " + model + " on " + target.name(), () -> train(scratchConfig)));
      stages.add(
          new Stage(
              "evaluate " + model + " (" + target.name() + ")",
              () -> evaluate(scratch, target.name(), "", results)));
      for (StudyConfig.DataSet pre : study.pretraining()) {
        String pretrained = path("runs/" + model + "-" + pre.name());
        String finetuned = path("runs/" + model + "-" + pre.name() + "-to-" + target.name());
        TrainConfig preConfig = config(study.pretrain(), model, pre, pretrained, "");
        TrainConfig ftConfig = config(study.finetune(), model, target, finetuned, pretrained);
        stages.add(new Stage("pretrain " + model + " on " + pre.name(), () -> train(preConfig)));
        stages.add(
            new Stage(
                "finetune " + model + " " + pre.name() + " -> " + target.name(),
                () -> train(ftConfig)));
        stages.add(
            new Stage(
                "evaluate " + model + " (" + pre.name() + " -> " + target.name() + ")",
                () -> evaluate(finetuned, pre.name(), target.name(), results)));
      }
    }
    for (int i = 0; i < stages.size(); i++) {
      Stage s = stages.get(i);
      progress.accept(
          String.format(Locale.ROOT, "study [%d/%d] %s", i + 1, stages.size(), s.description()));
      long t0 = System.nanoTime();
      boolean ran = s.action().run();
      progress.accept(
          String.format(
              Locale.ROOT,
              "study [%d/%d] %s: %s",
              i + 1,
              stages.size(),
              s.description(),
              ran
                  ? String.format(Locale.ROOT, "done in %.0f s", (System.nanoTime() - t0) / 1e9)
                  : "output exists, skipped"));
    }
    return ReportJob.run(spark, results, path("report"));
  }

  private boolean train(TrainConfig config) throws IOException {
    Path latest = new Checkpoints(fs, new Path(config.out())).latest();
    if (latest != null && Checkpoints.load(fs, latest, false).state().epoch() >= config.epochs()) {
      return false;
    }
    Trainer.run(spark, config, true);
    return true;
  }

  private boolean evaluate(String run, String pretrainName, String finetuneName, String results)
      throws IOException {
    Path checkpoint = Checkpoints.resolve(fs, new Path(run));
    if (fs.exists(new Path(results, "rows"))) {
      for (ResultRow r : ResultsTable.read(spark, results)) {
        if (r.checkpoint().equals(checkpoint.toString())) {
          return false;
        }
      }
    }
    CheckpointEvaluation.Outcome o =
        CheckpointEvaluation.run(
            spark, checkpoint.toString(), study.target().val(), "val", "auto", study.evalBatch());
    ResultRow row =
        ResultRow.of(
            o,
            pretrainName,
            finetuneName,
            latency.medianMs(o.spec()),
            ModelBenchmark.onnxLatency(
                    o.spec(), study.latencyWarmup(), study.latencyRuns(), ModelBenchmark.Quiet.NONE)
                .medianMs(),
            gitCommit);
    ResultsTable.append(spark, results, row);
    progress.accept(
        String.format(
            Locale.ROOT,
            "  %s %s: top-1 %.2f%%, top-5 %.2f%%",
            row.model(),
            finetuneName.isEmpty() ? pretrainName : pretrainName + " -> " + finetuneName,
            row.top1(),
            row.top5()));
    return true;
  }

  private TrainConfig config(
      Config stage, String model, StudyConfig.DataSet data, String out, String init) {
    Config generated =
        ConfigFactory.empty()
            .withValue("model", ConfigValueFactory.fromAnyRef(model))
            .withValue("data.path", ConfigValueFactory.fromAnyRef(data.train()))
            .withValue("data.val-path", ConfigValueFactory.fromAnyRef(data.val()))
            .withValue("out", ConfigValueFactory.fromAnyRef(out))
            .withValue("init.checkpoint", ConfigValueFactory.fromAnyRef(init));
    Config train = generated.withFallback(stage).withFallback(study.common());
    return TrainConfig.from(train.atPath(TrainConfig.ROOT));
  }

  private String path(String child) {
    return new Path(new Path(study.out()), child).toString();
  }
}
