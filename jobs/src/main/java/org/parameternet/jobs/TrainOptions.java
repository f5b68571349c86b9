package org.parameternet.jobs;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.parameternet.train.TrainConfig;
import picocli.CommandLine.Option;

/** The options every training command shares: the experiment file, overrides, resume. */
final class TrainOptions {
  @Option(
      names = "--config",
      required = true,
      description = "Experiment file (HOCON, root key 'train'), e.g. conf/experiments/*.conf.")
  File config;

  @Option(
      names = "--set",
      description = "Override a key, e.g. --set epochs=3 --set optimizer.lr=2e-3 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--resume",
      description = "Continue from the latest checkpoint in train.out (start fresh if none).")
  boolean resume;

  TrainConfig load() {
    return TrainConfig.load(config, overrides);
  }
}
