package org.parameternet.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestJob;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.testing.LocalSpark;

/** A local[2] Spark session and a small ingested 1K-like train/val pair from the synthesizer. */
final class TrainingFixture {
  static final SynthSpec SPEC =
      SynthSpec.builder()
          .classes22k(12)
          .classes1k(6)
          .perClass22k(20, 30)
          .perClass1k(100, 12)
          .size(48)
          .seed(5)
          .build();

  final SparkSession spark;
  final String train;
  final String val;
  final Path dir;

  TrainingFixture(Path dir) throws IOException {
    this.dir = dir;
    spark = LocalSpark.start("train-test");
    FileSystem fs = FileSystem.getLocal(new Configuration());
    org.apache.hadoop.fs.Path synth = new org.apache.hadoop.fs.Path(dir.resolve("synth").toUri());
    SynthWriter.write(fs, synth, SPEC);
    train = dir.resolve("train").toUri().toString();
    val = dir.resolve("val").toUri().toString();
    IngestJob.run(
        spark, options(IngestFormat.IN1K_TRAIN, synth + "/in1k/ILSVRC2012_img_train.tar", train));
    IngestJob.run(spark, options(IngestFormat.IN1K_VAL, synth + "/in1k/val", val));
  }

  private static IngestOptions options(IngestFormat format, String source, String out) {
    return IngestOptions.builder(format, source, out)
        .image(new ImageOptions(40, 90, 0, 90_000_000L))
        .shardBytes(1 << 20)
        .splitBytes(1 << 20)
        .filesPerTask(64)
        .seed(3)
        .build();
  }

  /** A micro-model run on the fixture's data; {@code overrides} as with {@code --set}. */
  TrainConfig config(String out, String... overrides) {
    Config base =
        ConfigFactory.parseString(
            String.join(
                "\n",
                "train.model = ghostnet_micro_32",
                "train.data.path = \"" + train + "\"",
                "train.data.val-path = \"" + val + "\"",
                "train.out = \"" + dir.resolve(out).toUri() + "\"",
                "train.epochs = 4",
                "train.batch-per-worker = 8",
                "train.averaging-frequency = 4",
                "train.optimizer.lr = 0.005",
                "train.schedule.warmup-epochs = 1",
                "train.augment.rand-augment = \"\"",
                "train.augment.random-erasing = 0",
                "train.ema-decay = 0",
                "train.dropout = 0",
                "train.augment.scale-min = 0.5"));
    return TrainConfig.from(TrainConfig.withOverrides(base, List.of(overrides)));
  }

  void close() {
    spark.stop();
  }
}
