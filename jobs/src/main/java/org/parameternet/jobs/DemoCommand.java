package org.parameternet.jobs;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.parameternet.data.synth.SynthLayout;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestJob;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.ingest.IngestSummary;
import org.parameternet.study.StudyConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet demo}: a whole study on the built-in synthetic data in one command: synthesize a
 * 22K-like and a 1K-like set, ingest both, run the demo study (or the ablations' demo study), print
 * the table.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Synthesize, ingest and run a demo study on this machine: the main one"
            + " (conf/studies/demo.conf) or the ablations' (conf/studies/demo-ablations.conf);"
            + " rerunning skips what is done.")
final class DemoCommand implements Callable<Integer> {
  /** The demo studies: each has its study file and its own default folder. */
  enum Study {
    MAIN("conf/studies/demo.conf", "pnet-demo"),
    ABLATIONS("conf/studies/demo-ablations.conf", "pnet-demo-ablations");

    final String config;
    final String out;

    Study(String config, String out) {
      this.config = config;
      this.out = out;
    }
  }

  @Option(
      names = "--study",
      description =
          "main (GhostNet and ParameterNet, Table 2) or ablations (experts 1/2/4/8 and RepConv,"
              + " Tables 4 and 6). Default: ${DEFAULT-VALUE}.")
  Study study;

  @Option(
      names = "--out",
      description =
          "Directory (or Hadoop URI) everything goes under; empty: pnet-demo for the main study,"
              + " pnet-demo-ablations for the ablations. Default: '${DEFAULT-VALUE}'.")
  String out;

  @Option(
      names = "--config",
      description = "The study file; empty: the --study's own. Default: '${DEFAULT-VALUE}'.")
  String config;

  @Option(
      names = "--set",
      description = "Override a study key, e.g. --set scratch.epochs=4 (repeatable).")
  List<String> overrides = new ArrayList<>();

  /**
   * The built-in data: 48 22K-like classes of 50 images; 16 1K-like classes (15 of them among the
   * 22K-like ones, as 999 of ImageNet-1K's are in fall11) with only 12 training images each, so
   * training on the 1K-like set alone is data-starved, and 25 validation images each.
   */
  static final SynthSpec DATA =
      SynthSpec.builder()
          .classes22k(48)
          .classes1k(16)
          .perClass22k(50, 50)
          .perClass1k(12, 25)
          .size(40)
          .seed(1)
          .build();

  @Override
  public Integer call() throws Exception {
    String folder = out.isEmpty() ? study.out : out;
    String root =
        folder.contains("://")
            ? folder
            : Path.of(folder).toAbsolutePath().normalize().toUri().toString();
    root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    String synth = root + "/data/synth";
    String in22k = root + "/data/22k-like";
    String train = root + "/data/1k-like-train";
    String val = root + "/data/1k-like-val";
    List<String> settings =
        new ArrayList<>(
            List.of(
                "out=\"" + root + "\"",
                "target.train=\"" + train + "\"",
                "target.val=\"" + val + "\"",
                "pretraining=[{name=\"22k-like\", train=\"" + in22k + "\"}]"));
    settings.addAll(overrides);
    StudyConfig studyConfig =
        StudyConfig.load(new File(config.isEmpty() ? study.config : config), settings);
    System.out.println("pnet demo: everything goes under " + root);

    SparkSession spark = SparkSessions.create("pnet demo");
    try {
      org.apache.hadoop.fs.Path synthPath = new org.apache.hadoop.fs.Path(synth);
      FileSystem fs = synthPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
      SynthLayout sources = new SynthLayout(synthPath);
      if (!fs.exists(sources.manifest())) {
        System.out.println("pnet demo: synthesizing the 22K-like and 1K-like sets");
        SynthWriter.write(fs, synthPath, DATA);
      }
      report(ingest(spark, IngestFormat.IN22K, sources.in22kTar().toString(), in22k, null));
      report(
          ingest(spark, IngestFormat.IN1K_TRAIN, sources.in1kTrainTar().toString(), train, in22k));
      report(ingest(spark, IngestFormat.IN1K_VAL, sources.in1kVal().toString(), val, in22k));
    } finally {
      spark.stop();
    }
    int code = StudyCommand.run(studyConfig);
    if (code == 0) {
      System.out.println("pnet demo: done; everything is under " + root);
    }
    return code;
  }

  private static IngestSummary ingest(
      SparkSession spark, IngestFormat format, String source, String out, String mapTo)
      throws Exception {
    System.out.println("pnet demo: ingest " + format.cliName() + " -> " + out);
    return IngestJob.run(
        spark, IngestOptions.builder(format, source, out).resize(40).mapTo(mapTo).build());
  }

  private static void report(IngestSummary s) {
    System.out.printf(
        "  %d inputs: %d written, %d quarantined%n", s.inputs(), s.written(), s.quarantined());
  }
}
