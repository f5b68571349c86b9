package org.parameternet.jobs;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.synth.SynthLayout;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pnet synth}: writes the built-in data sets in ImageNet's distribution layouts. */
@Command(
    name = "synth",
    mixinStandardHelpOptions = true,
    description =
        "Write synthetic data sets in ImageNet's layouts (22K tar of synset tars, 1K train tar,"
            + " 1K val folder with ground truth, class folders) to any Hadoop FileSystem URI.")
final class SynthCommand implements Callable<Integer> {
  @Option(
      names = "--out",
      required = true,
      description = "Output directory (file://, hdfs://, ...).")
  String out;

  @Option(names = "--classes-22k", description = "Default: ${DEFAULT-VALUE}.")
  int classes22k;

  @Option(names = "--classes-1k", description = "Default: ${DEFAULT-VALUE}.")
  int classes1k;

  @Option(names = "--min-per-class", description = "Default: ${DEFAULT-VALUE}.")
  int minPerClass;

  @Option(names = "--max-per-class", description = "Default: ${DEFAULT-VALUE}.")
  int maxPerClass;

  @Option(names = "--train-per-class", description = "Default: ${DEFAULT-VALUE}.")
  int trainPerClass;

  @Option(names = "--val-per-class", description = "Default: ${DEFAULT-VALUE}.")
  int valPerClass;

  @Option(
      names = "--size",
      description = "Image width (height 3/4 of it). Default: ${DEFAULT-VALUE}.")
  int size;

  @Option(names = "--seed", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--bad-inputs",
      description = "Add one input of every kind ingest must quarantine.")
  boolean badInputs;

  @Override
  public Integer call() throws Exception {
    SynthSpec spec =
        SynthSpec.builder()
            .classes22k(classes22k)
            .classes1k(classes1k)
            .perClass22k(minPerClass, maxPerClass)
            .perClass1k(trainPerClass, valPerClass)
            .size(size)
            .seed(seed)
            .badInputs(badInputs)
            .build();
    Path path = new Path(out);
    FileSystem fs = path.getFileSystem(new Configuration());
    long start = System.nanoTime();
    SynthWriter.write(fs, path, spec);
    System.out.printf(
        Locale.ROOT,
        "wrote synthetic data sets to %s in %.1f s (see %s)%n",
        fs.makeQualified(path),
        (System.nanoTime() - start) / 1e9,
        new SynthLayout(path).manifest());
    return 0;
  }
}
