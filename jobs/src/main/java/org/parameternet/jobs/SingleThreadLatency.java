package org.parameternet.jobs;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.parameternet.benchmark.ModelBenchmark;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Batch-1 inference latency on one thread. OpenMP and OpenBLAS fix their thread counts when the
 * natives load, so the measurement runs in a child JVM (this class as the hidden {@code pnet
 * latency} command) started with {@code OMP_NUM_THREADS=1} and {@code OPENBLAS_NUM_THREADS=1}.
 * Latency does not depend on the weights' values, so the child builds the model afresh.
 *
 * <p>One thread means one core busy: the child JVM also collects garbage in the stopped caller
 * ({@code -XX:+UseSerialGC}) and compiles in the caller's time ({@code -XX:-BackgroundCompilation},
 * the compiler threads run while it waits), so neither G1's worker threads nor a JIT thread works
 * beside the measured one. With the parent's G1, ParameterNet-300M's child kept 1.22 cores busy
 * during its timed runs (per-thread CPU from /proc: G1 workers and refinement 0.15, JavaCPP's
 * deallocators 0.03, C2 0.02). {@code -Dpnet.latency.one-core=false} keeps the parent's JVM options
 * unchanged, for A/B runs.
 */
@Command(name = "latency", hidden = true, description = "Single-thread latency (internal).")
final class SingleThreadLatency implements Callable<Integer> {
  private static final String PREFIX = "latency_ms=";

  @Option(names = "--model", required = true)
  String model;

  @Option(names = "--resolution", required = true)
  int resolution;

  @Option(names = "--classes", required = true)
  int classes;

  @Option(names = "--warmup")
  int warmup;

  @Option(names = "--runs")
  int runs;

  @Override
  public Integer call() {
    ModelSpec spec = ModelRegistry.get(model).withResolution(resolution).withClasses(classes);
    ModelBenchmark.LatencyResult r =
        ModelBenchmark.latency(spec, warmup, runs, ModelBenchmark.Quiet.NONE);
    System.out.printf(Locale.ROOT, "%s%.4f%n", PREFIX, r.medianMs());
    return 0;
  }

  /**
   * This JVM's class path plus the application jar: under spark-submit the jar is loaded by Spark's
   * own class loader and is not on {@code java.class.path}.
   */
  static String classPath() {
    String path = System.getProperty("java.class.path");
    try {
      String jar =
          new File(Pnet.class.getProtectionDomain().getCodeSource().getLocation().toURI())
              .getPath();
      return path.contains(jar) ? path : path + File.pathSeparator + jar;
    } catch (URISyntaxException | NullPointerException e) {
      return path;
    }
  }

  /**
   * {@code pnet <args>} in a child JVM like this one (same JVM options and jar) whose OpenMP and
   * OpenBLAS run on one thread.
   */
  static ProcessBuilder singleThreaded(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions(ManagementFactory.getRuntimeMXBean().getInputArguments()));
    command.add("-cp");
    command.add(classPath());
    command.add(Pnet.class.getName());
    command.addAll(args);
    ProcessBuilder child = new ProcessBuilder(command);
    child.environment().put("OMP_NUM_THREADS", "1");
    child.environment().put("OPENBLAS_NUM_THREADS", "1");
    return child;
  }

  /** The JVM options that keep the child on one core, see the class comment. */
  static final List<String> ONE_CORE = List.of("-XX:+UseSerialGC", "-XX:-BackgroundCompilation");

  /**
   * The child's JVM options: the parent's, where they choose a collector or its threads replaced by
   * {@link #ONE_CORE} (unless {@code -Dpnet.latency.one-core=false}).
   */
  static List<String> jvmOptions(List<String> parent) {
    if (System.getProperty("pnet.latency.one-core", "true").equals("false")) {
      return parent;
    }
    List<String> options = new ArrayList<>();
    for (String option : parent) {
      boolean collector =
          option.matches("-XX:[+-]Use\\w*GC") || option.matches("-XX:\\w*GCThreads=.*");
      if (!collector
          && !option.matches("-XX:[+-]BackgroundCompilation")
          && !option.equals("-Xbatch")) {
        options.add(option);
      }
    }
    options.addAll(ONE_CORE);
    return options;
  }

  /** Median latency in ms, measured in a single-threaded child JVM. */
  static double measure(String model, int resolution, int classes, int warmup, int runs) {
    ProcessBuilder child =
        singleThreaded(
                List.of(
                    "latency",
                    "--model",
                    model,
                    "--resolution",
                    Integer.toString(resolution),
                    "--classes",
                    Integer.toString(classes),
                    "--warmup",
                    Integer.toString(warmup),
                    "--runs",
                    Integer.toString(runs)))
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    try {
      Process p = child.start();
      Double result = null;
      try (BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.startsWith(PREFIX)) {
            result = Double.parseDouble(line.substring(PREFIX.length()));
          }
        }
      }
      int code = p.waitFor();
      if (code != 0 || result == null) {
        throw new IllegalStateException("the latency JVM failed (exit " + code + ")");
      }
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the latency JVM: " + child.command().get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while measuring latency", e);
    }
  }
}
