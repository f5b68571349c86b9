package org.parameternet.train;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.parameternet.testing.LocalSpark;

/**
 * A training driver in its own JVM, for tests that kill it: trains the configuration rendered in
 * the file {@code args[0]}, resuming when {@code args[1]} is {@code true}, on the local master
 * {@code args[2]}.
 */
public final class TrainingChild {
  private TrainingChild() {}

  public static void main(String[] args) throws Exception {
    String rendered = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
    TrainConfig config = TrainConfig.from(ConfigFactory.parseString(rendered));
    SparkSession spark = LocalSpark.start("training-child", args[2]);
    try {
      Trainer.run(spark, config, Boolean.parseBoolean(args[1]));
    } finally {
      spark.stop();
    }
  }

  /** Starts a child training {@code config} (its JVM flags are this JVM's, heap 2 GB). */
  static Process start(TrainConfig config, boolean resume, Path dir, String master)
      throws IOException {
    Path conf = Files.createTempFile(dir, "child-", ".conf");
    Files.writeString(conf, config.rendered(), StandardCharsets.UTF_8);
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-Xmx2g");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(TrainingChild.class.getName());
    command.add(conf.toString());
    command.add(Boolean.toString(resume));
    command.add(master);
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("child-" + System.nanoTime() + ".log").toFile())
        .start();
  }
}
