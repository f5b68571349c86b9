package org.parameternet.jobs;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.parameternet.study.DemoData;
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

  @Override
  public Integer call() throws Exception {
    String folder = out.isEmpty() ? study.out : out;
    String root =
        folder.contains("://")
            ? folder
            : Path.of(folder).toAbsolutePath().normalize().toUri().toString();
    root = root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
    DemoData data = new DemoData(root);
    List<String> settings = new ArrayList<>(data.studySettings());
    settings.addAll(overrides);
    StudyConfig studyConfig =
        StudyConfig.load(new File(config.isEmpty() ? study.config : config), settings);
    System.out.println("pnet demo: everything goes under " + root);

    SparkSession spark = SparkSessions.create("pnet demo");
    try {
      data.prepare(spark, System.out::println);
    } finally {
      spark.stop();
    }
    int code = StudyCommand.run(studyConfig);
    if (code == 0) {
      System.out.println("pnet demo: done; everything is under " + root);
    }
    return code;
  }
}
