package org.parameternet.jobs;

import java.util.concurrent.Callable;
import org.parameternet.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pnet finetune}: a pretrained checkpoint trained on with a new head for another label
 * space.
 */
@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    description =
        "Finetune a pretraining checkpoint (train.init.checkpoint) on other shards, e.g. 22K -> 1K,"
            + " with the new classifier's rows carried over for shared wnids.")
final class FinetuneCommand implements Callable<Integer> {
  @Mixin TrainOptions options;

  @Override
  public Integer call() throws Exception {
    TrainConfig config = options.load();
    if (config.init().checkpoint().isBlank()) {
      throw new IllegalArgumentException(
          "train.init.checkpoint is required: the pretraining checkpoint or run directory to start"
              + " from");
    }
    return PretrainCommand.run("finetune", config, options.resume);
  }
}
