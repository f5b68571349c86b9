package org.parameternet.jobs;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code pnet bench}: benchmarks that print numbers. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print measured numbers.",
    subcommands = {BenchModelsCommand.class, BenchIngestCommand.class, BenchTrainCommand.class})
final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
