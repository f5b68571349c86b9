package org.parameternet.jobs;

import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.AnalysisException;
import org.parameternet.config.Defaults;
import org.parameternet.model.NativeThreads;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pnet} command line: the one entry point of the submitted jar. Runs the same way from
 * {@code bin/pnet} (local mode) and {@code spark-submit --class org.parameternet.jobs.Pnet}.
 */
@Command(
    name = "pnet",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "ParameterNet on Spark: GhostNet/ParameterNet pretraining pipeline.",
    subcommands = {
      ModelsCommand.class,
      SynthCommand.class,
      IngestCommand.class,
      PretrainCommand.class,
      FinetuneCommand.class,
      EvaluateCommand.class,
      ExportCommand.class,
      ReportCommand.class,
      StudyCommand.class,
      DemoCommand.class,
      SingleThreadLatency.class,
      BenchCommand.class
    })
public final class Pnet implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    // before anything loads ND4J's natives: libgomp reads its wait policy once, when it loads
    if (NativeThreads.preferPassiveWaiting() == null) {
      System.err.println(
          "pnet: OpenMP was loaded before "
              + NativeThreads.WAIT_POLICY
              + " could be set: its idle threads spin; set "
              + NativeThreads.WAIT_POLICY
              + "="
              + NativeThreads.PASSIVE
              + " for faster training");
    }
    CommandLine cli;
    try {
      cli = commandLine();
    } catch (IllegalArgumentException e) {
      System.err.println("pnet: " + e.getMessage()); // a bad conf/pnet.conf: named, no trace
      System.exit(2);
      return;
    }
    System.exit(cli.execute(args));
  }

  /** The configured command line, also used by tests. */
  public static CommandLine commandLine() {
    return commandLine(ConfigDefaults.load());
  }

  static CommandLine commandLine(ConfigDefaults defaults) {
    CommandLine cli =
        new CommandLine(new Pnet())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setDefaultValueProvider(defaults)
            .setExecutionExceptionHandler(
                (error, failed, parsed) -> {
                  if (error instanceof IllegalArgumentException) {
                    // Bad input (a model name, a config value): the message names it, no trace
                    failed
                        .getErr()
                        .println(
                            "pnet "
                                + failed.getCommandName()
                                + ": "
                                + flagsForKeys(error.getMessage(), failed));
                    return 2;
                  }
                  Throwable missing = missingInput(error);
                  if (missing != null) {
                    // a path that is not there: one line naming it, as for a bad value
                    failed
                        .getErr()
                        .println("pnet " + failed.getCommandName() + ": " + missing.getMessage());
                    return 2;
                  }
                  throw error;
                });
    defaults.checkUserKeys(cli.getCommandSpec());
    return cli;
  }

  /**
   * The error, or one of its causes, that says an input path does not exist: Hadoop's and Java's
   * file-not-found exceptions, and Spark's analysis error for a path it cannot find; null for any
   * other failure, which keeps its stack trace.
   */
  static Throwable missingInput(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof FileNotFoundException
          || t instanceof NoSuchFileException
          || (t instanceof AnalysisException
              && String.valueOf(t.getMessage()).contains("PATH_NOT_FOUND"))) {
        return t;
      }
    }
    return null;
  }

  /**
   * The library names a setting by its key ({@code ingest.map-to}); where the failed command has
   * that setting as an option, the user reads the flag they typed ({@code --map-to}).
   */
  static String flagsForKeys(String message, CommandLine failed) {
    String result = message;
    for (CommandLine.Model.OptionSpec option : failed.getCommandSpec().options()) {
      String flag = option.longestName();
      // the option's configuration key without the root: pnet.ingest.map-to -> ingest.map-to
      String key = ConfigDefaults.keyOf(option).substring(Defaults.ROOT.length() + 1);
      result =
          result.replaceAll(
              "(?<![\\w.-])" + Pattern.quote(key) + "(?![\\w-])", Matcher.quoteReplacement(flag));
    }
    return result;
  }
}
