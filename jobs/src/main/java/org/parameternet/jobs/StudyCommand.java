package org.parameternet.jobs;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.parameternet.study.Study;
import org.parameternet.study.StudyConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pnet study}: pretrain, finetune, evaluate and report a whole study, resumably. */
@Command(
    name = "study",
    mixinStandardHelpOptions = true,
    description =
        "Run a study (models x pretraining sets): train on the target alone, pretrain, finetune,"
            + " evaluate, report. Finished stages are skipped, so rerunning resumes.")
final class StudyCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      required = true,
      description = "Study file, e.g. conf/studies/*.conf.")
  File config;

  @Option(
      names = "--set",
      description = "Override a study key, e.g. --set out=/tmp/s (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    StudyConfig study = StudyConfig.load(config, overrides);
    return run(study);
  }

  static int run(StudyConfig study) throws Exception {
    SparkSession spark = SparkSessions.create("pnet study");
    try {
      ReportCommand.print(
          Study.run(
              spark,
              study,
              spec ->
                  SingleThreadLatency.measure(
                      spec.name(),
                      spec.resolution(),
                      spec.numClasses(),
                      study.latencyWarmup(),
                      study.latencyRuns()),
              VersionProvider.gitCommit(),
              System.out::println));
      return 0;
    } finally {
      spark.stop();
    }
  }
}
