package org.parameternet.jobs;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestJob;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.ingest.IngestSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pnet ingest}: ImageNet archives or folders to Parquet shards, every input accounted. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = "Turn an ImageNet-style source into Parquet shards plus a quarantine table.")
final class IngestCommand implements Callable<Integer> {
  @Option(
      names = "--source",
      required = true,
      description = "Archive, directory, val folder or val tar (any Hadoop URI).")
  String source;

  @Option(
      names = "--format",
      required = true,
      description = "in22k, in1k-train, in1k-val or folders.")
  String format;

  @Option(names = "--out", required = true, description = "Output dataset directory.")
  String out;

  @Option(
      names = "--resize",
      description = "Shorter side in pixels, 0 keeps the size. Default: ${DEFAULT-VALUE}.")
  int resize;

  @Option(names = "--jpeg-quality", description = "Default: ${DEFAULT-VALUE}.")
  int jpegQuality;

  @Option(
      names = "--min-side",
      description = "Quarantine images whose shorter side is smaller. Default: ${DEFAULT-VALUE}.")
  int minSide;

  @Option(
      names = "--max-pixels",
      description =
          "Quarantine images declaring more pixels (checked before decoding). Default: ${DEFAULT-VALUE}.")
  long maxPixels;

  @Option(
      names = "--shard-mb",
      description = "Target Parquet shard size. Default: ${DEFAULT-VALUE}.")
  long shardMb;

  @Option(
      names = "--split-mb",
      description =
          "Synset tars larger than this are shared by several tasks. Default: ${DEFAULT-VALUE}.")
  long splitMb;

  @Option(
      names = "--files-per-task",
      description = "Loose files per task (folders, in1k-val). Default: ${DEFAULT-VALUE}.")
  int filesPerTask;

  @Option(
      names = "--seed",
      description =
          "Seed of the shuffle that mixes classes across shards. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--val-labels",
      description =
          "in1k-val: ILSVRC2012_validation_ground_truth.txt or LOC_val_solution.csv (default: beside the val folder or tar).")
  String valLabels;

  @Option(
      names = "--val-synsets",
      description =
          "in1k-val with a ground-truth file: ILSVRC2012_ID -> wnid table (synsets.tsv; default: beside the val folder).")
  String valSynsets;

  @Option(
      names = "--map-to",
      description =
          "Another dataset (directory or "
              + DatasetLayout.CLASSES
              + ") to map this label space onto, e.g. the 22K pretraining set for a 1K set; writes "
              + DatasetLayout.LABEL_MAP
              + ".")
  String mapTo;

  @Option(
      names = "--class-names",
      description =
          "wnid -> name file for "
              + DatasetLayout.CLASSES
              + ": words.txt, LOC_synset_mapping.txt, the devkit's"
              + " meta.mat or synsets.tsv (default: words.txt or LOC_synset_mapping.txt beside"
              + " --source).")
  String classNames;

  @Option(
      names = "--in21k-p",
      description =
          "Apply the ImageNet-21K-P recipe (keep classes with more than --in21k-p-min images;"
              + " the first --in21k-p-val files per class by name go to a val split).")
  boolean in21kP;

  @Option(names = "--in21k-p-min", description = "Default: ${DEFAULT-VALUE}.")
  int in21kPMin;

  @Option(names = "--in21k-p-val", description = "Default: ${DEFAULT-VALUE}.")
  int in21kPVal;

  @Option(
      names = "--overwrite",
      description = "Replace a complete dataset already at --out (default: keep it and report it).")
  boolean overwrite;

  /** The ingest these flags ask for. */
  IngestOptions options() {
    return IngestOptions.builder(IngestFormat.parse(format), source, out)
        .image(new ImageOptions(resize, jpegQuality, minSide, maxPixels))
        .shardBytes(shardMb << 20)
        .splitBytes(splitMb << 20)
        .filesPerTask(filesPerTask)
        .seed(seed)
        .valLabels(valLabels)
        .valSynsets(valSynsets)
        .overwrite(overwrite)
        .mapTo(mapTo)
        .classNames(classNames)
        .in21kP(in21kP ? new IngestOptions.In21kPRecipe(in21kPMin, in21kPVal) : null)
        .build();
  }

  @Override
  public Integer call() throws Exception {
    IngestOptions options = options();
    SparkSession spark = SparkSessions.create("pnet ingest " + options.format().cliName());
    try {
      IngestSummary s = IngestJob.run(spark, options);
      if (s.reused()) {
        System.out.printf(
            Locale.ROOT,
            "ingest: %s already holds a complete dataset (%d written, %d quarantined); use --overwrite to replace it%n",
            out,
            s.written(),
            s.quarantined());
        return 0;
      }
      String reasons =
          s.byReason().entrySet().stream()
              .map(e -> e.getKey() + " " + e.getValue())
              .collect(Collectors.joining(", "));
      System.out.printf(
          Locale.ROOT,
          "ingest: %d inputs = %d written + %d quarantined%s; %d classes, %d shards in %s (%.1f s)%n",
          s.inputs(),
          s.written(),
          s.quarantined(),
          reasons.isEmpty() ? "" : " (" + reasons + ")",
          s.classes(),
          s.shards(),
          out,
          s.seconds());
      return 0;
    } finally {
      spark.stop();
    }
  }
}
