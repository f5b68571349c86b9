package org.parameternet.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.benchmark.ModelBenchmark;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestJob;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.report.ReportJob;
import org.parameternet.report.ResultsTable;
import org.parameternet.testing.LocalSpark;

/** A tiny study end to end in local mode: every stage, every report file, and a resumable rerun. */
class StudyTest {
  @TempDir Path dir;

  private static IngestOptions ingest(IngestFormat f, String source, String out, String mapTo) {
    return IngestOptions.builder(f, source, out)
        .image(new ImageOptions(36, 90, 0, 90_000_000L))
        .shardBytes(1 << 20)
        .splitBytes(1 << 20)
        .filesPerTask(64)
        .seed(0)
        .mapTo(mapTo)
        .build();
  }

  @Test
  void aTinyStudyProducesEveryReportFileAndResumes() throws IOException {
    SparkSession spark = LocalSpark.start("study-test");
    try {
      FileSystem fs = FileSystem.getLocal(new Configuration());
      String root = dir.toUri().toString();
      org.apache.hadoop.fs.Path synth = new org.apache.hadoop.fs.Path(root, "synth");
      SynthWriter.write(
          fs,
          synth,
          SynthSpec.builder()
              .classes22k(6)
              .classes1k(3)
              .perClass22k(16, 16)
              .perClass1k(24, 6)
              .size(40)
              .seed(2)
              .build());
      String in22k = root + "/22k";
      String train = root + "/1k-train";
      String val = root + "/1k-val";
      IngestJob.run(
          spark, ingest(IngestFormat.IN22K, synth + "/in22k/fall11_whole.tar", in22k, null));
      IngestJob.run(
          spark,
          ingest(IngestFormat.IN1K_TRAIN, synth + "/in1k/ILSVRC2012_img_train.tar", train, in22k));
      IngestJob.run(spark, ingest(IngestFormat.IN1K_VAL, synth + "/in1k/val", val, in22k));
      StudyConfig study =
          StudyConfig.from(
              ConfigFactory.parseString(
                  String.join(
                      "\n",
                      "study {",
                      "  out = \"" + root + "/study\"",
                      "  models = [ghostnet_micro_32]",
                      "  target { name = small-1k, train = \""
                          + train
                          + "\", val = \""
                          + val
                          + "\" }",
                      "  pretraining = [{ name = small-22k, train = \"" + in22k + "\" }]",
                      "  train { epochs = 1, batch-per-worker = 8, averaging-frequency = 2,",
                      "          schedule.warmup-epochs = 0, ema-decay = 0.9,",
                      "          augment { rand-augment = \"\", random-erasing = 0 } }",
                      "  finetune { init.layer-decay = 0.5 }",
                      "  evaluate { latency-runs = 3 }",
                      "}")));
      Study.LatencyMeter meter =
          spec -> ModelBenchmark.latency(spec, 1, 3, ModelBenchmark.Quiet.NONE).medianMs();
      ReportJob.Written first = Study.run(spark, study, meter, "test", line -> {});
      Path report = dir.resolve("study/report");
      for (String f :
          List.of(
              "report.md",
              "report.csv",
              "report.html",
              "charts/top1_vs_flops.png",
              "charts/top1_vs_flops.svg",
              "charts/top1_vs_latency.png",
              "charts/top1_vs_latency.svg",
              "charts/loss_curves.png",
              "charts/loss_curves.svg")) {
        assertTrue(Files.size(report.resolve(f)) > 0, f);
      }
      assertTrue(first.table().contains("| ghostnet_micro_32 | – | small-1k |"), first.table());
      assertTrue(first.table().contains("small-22k → small-1k"), first.table());
      String init =
          Files.readString(
              dir.resolve("study/runs/ghostnet_micro_32-small-22k-to-small-1k/init.json"));
      // 2 of the 3 1K-like classes exist in the 22K-like set (the synthesizer leaves one out)
      assertTrue(init.replace(" ", "").contains("\"classifier_rows_carried\":2"), init);
      assertEquals(2, ResultsTable.read(spark, root + "/study/results").size());

      // a rerun skips every finished stage: no new training, no new result rows
      Study.run(spark, study, meter, "test", line -> {});
      assertEquals(2, ResultsTable.read(spark, root + "/study/results").size());

      runNotebooks(dir.resolve("study"));
    } finally {
      spark.stop();
    }
  }

  /** The notebooks, executed headless on this study when Jupyter is installed. */
  private static void runNotebooks(Path study) throws IOException {
    boolean jupyter =
        Arrays.stream(System.getenv("PATH").split(File.pathSeparator))
            .anyMatch(d -> Files.isExecutable(Path.of(d, "jupyter")));
    if (!jupyter) {
      System.out.println("jupyter is not on the PATH: notebook execution skipped");
      return;
    }
    Path log = study.resolve("notebooks.log");
    Process p =
        new ProcessBuilder("../notebooks/run-notebooks.sh", study.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "notebooks timed out");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    assertEquals(0, p.exitValue(), Files.readString(log));
    assertTrue(Files.exists(study.resolve("notebooks/study.ipynb")));
    assertTrue(Files.size(study.resolve("notebook_top1_vs_flops.png")) > 0);
    assertTrue(Files.size(study.resolve("notebook_loss_curves.png")) > 0);
  }
}
