package org.parameternet.study;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.parameternet.data.synth.SynthLayout;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestJob;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.ingest.IngestSummary;

/**
 * The demo's data under its folder ({@code pnet demo}): the built-in synthetic sources in {@code
 * data/synth}, and the three data sets ingested from them that the demo study trains and evaluates
 * on, the 1K-like ones mapped to the 22K-like label space.
 */
public final class DemoData {
  /**
   * The built-in data: 48 22K-like classes of 50 images; 16 1K-like classes (15 of them among the
   * 22K-like ones, as 999 of ImageNet-1K's are in fall11) with only 12 training images each, so
   * training on the 1K-like set alone is data-starved, and 25 validation images each.
   */
  public static final SynthSpec SOURCES =
      SynthSpec.builder()
          .classes22k(48)
          .classes1k(16)
          .perClass22k(50, 50)
          .perClass1k(12, 25)
          .size(40)
          .seed(1)
          .build();

  /** The shorter side the demo ingests at: the synthetic images' own scale. */
  private static final int RESIZE = 40;

  private final String root;

  /** The demo's data under {@code root}, a Hadoop URI without a trailing slash. */
  public DemoData(String root) {
    this.root = root;
  }

  public String synth() {
    return root + "/data/synth";
  }

  public String in22k() {
    return root + "/data/22k-like";
  }

  public String train() {
    return root + "/data/1k-like-train";
  }

  public String val() {
    return root + "/data/1k-like-val";
  }

  /**
   * The study keys that point a demo study at this data and folder ({@code out}, the target and the
   * 22K-like pretraining set), as {@code --set} overrides that the user's own may follow.
   */
  public List<String> studySettings() {
    return List.of(
        "out=\"" + root + "\"",
        "target.train=\"" + train() + "\"",
        "target.val=\"" + val() + "\"",
        "pretraining=[{name=\"22k-like\", train=\"" + in22k() + "\"}]");
  }

  /**
   * Synthesizes the sources unless they are there, then ingests the three data sets (an ingest
   * keeps a complete data set already at its output), telling each step to {@code progress}.
   */
  public void prepare(SparkSession spark, Consumer<String> progress) throws IOException {
    Path synthPath = new Path(synth());
    FileSystem fs = synthPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
    SynthLayout sources = new SynthLayout(synthPath);
    if (!fs.exists(sources.manifest())) {
      progress.accept("pnet demo: synthesizing the 22K-like and 1K-like sets");
      SynthWriter.write(fs, synthPath, SOURCES);
    }
    ingest(spark, IngestFormat.IN22K, sources.in22kTar().toString(), in22k(), null, progress);
    ingest(
        spark,
        IngestFormat.IN1K_TRAIN,
        sources.in1kTrainTar().toString(),
        train(),
        in22k(),
        progress);
    ingest(spark, IngestFormat.IN1K_VAL, sources.in1kVal().toString(), val(), in22k(), progress);
  }

  private static void ingest(
      SparkSession spark,
      IngestFormat format,
      String source,
      String out,
      String mapTo,
      Consumer<String> progress)
      throws IOException {
    progress.accept("pnet demo: ingest " + format.cliName() + " -> " + out);
    IngestSummary s =
        IngestJob.run(
            spark, IngestOptions.builder(format, source, out).resize(RESIZE).mapTo(mapTo).build());
    progress.accept(
        String.format(
            Locale.ROOT,
            "  %d inputs: %d written, %d quarantined",
            s.inputs(),
            s.written(),
            s.quarantined()));
  }
}
