package org.parameternet.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parameternet.benchmark.ModelBenchmark;
import org.parameternet.benchmark.NativeThreads;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet bench models}: training images/s (forward + backward + update, float32, all cores)
 * and single-thread batch-1 inference latency, per model at its native resolution.
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "Training step throughput and single-thread inference latency per model.")
final class BenchModelsCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      split = ",",
      description = "Models to measure. Default: ${DEFAULT-VALUE}.")
  List<String> models;

  @Option(names = "--batch", description = "Training batch. Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(names = "--steps", description = "Timed training steps. Default: ${DEFAULT-VALUE}.")
  int steps;

  @Option(
      names = "--warmup",
      description =
          "Least untimed warm-up steps and latency runs (more follow until steady). Default:"
              + " ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--runs", description = "Timed latency runs. Default: ${DEFAULT-VALUE}.")
  int runs;

  @Option(names = "--classes", description = "Classifier outputs. Default: ${DEFAULT-VALUE}.")
  int classes;

  @Option(names = "--skip-training", description = "Measure latency only.")
  boolean skipTraining;

  @Option(names = "--skip-latency", description = "Measure training throughput only.")
  boolean skipLatency;

  @Option(
      names = "--interleave",
      description =
          "Time the models' training steps in turns, one step of each per round, instead of one"
              + " model after another, and print each model's step time over the first model's:"
              + " the machine's drift then falls on all alike.")
  boolean interleave;

  @Option(
      names = "--idle-wait",
      description =
          "Before each timed step (every fifth latency run), wait at most this many seconds for"
              + " other processes to go idle, as the PyTorch peer's harness does; 0 does not wait."
              + " Default: ${DEFAULT-VALUE}.")
  double idleWait;

  @Option(
      names = "--clean-threshold",
      description =
          "A timed step or run is clean when other processes (and a hypervisor's steal) used"
              + " fewer cores than this during it; models short of clean ones get up to twice the"
              + " timed steps or runs, and each table reads the median of the clean ones."
              + " Default: ${DEFAULT-VALUE}.")
  double cleanThreshold;

  @Option(
      names = "--skip-onnx",
      description = "Leave out the ONNX Runtime latency table (measured after DL4J's).")
  boolean skipOnnx;

  @Override
  public Integer call() {
    ModelBenchmark.Quiet quiet = new ModelBenchmark.Quiet(idleWait, cleanThreshold);
    int allThreads = NativeThreads.current();
    System.out.printf(
        Locale.ROOT,
        "# pnet bench models: batch %d, %d timed steps, %d latency runs, %d native threads%n",
        batch,
        steps,
        runs,
        allThreads);
    if (!skipTraining) {
      System.out.println("| model | resolution | batch | s/step | images/s | cores busy |");
      System.out.println("|---|---:|---:|---:|---:|---:|");
      List<ModelSpec> specs =
          models.stream().map(name -> ModelRegistry.get(name).withClasses(classes)).toList();
      ModelBenchmark.Interleaved interleaved =
          interleave
              ? ModelBenchmark.interleavedTraining(specs, batch, warmup, steps, quiet)
              : null;
      List<ModelBenchmark.TrainingResult> results = new ArrayList<>();
      for (ModelSpec spec : specs) {
        ModelBenchmark.TrainingResult r =
            interleave
                ? interleaved.results().get(results.size())
                : ModelBenchmark.training(spec, batch, warmup, steps, quiet);
        results.add(r);
        System.out.printf(
            Locale.ROOT,
            "| %s | %d | %d | %.3f | %.2f | %.2f |%n",
            r.model(),
            r.resolution(),
            r.batch(),
            r.secondsPerStep(),
            r.imagesPerSecond(),
            r.cpuCores());
      }
      System.out.println();
      for (ModelBenchmark.TrainingResult r : results) {
        System.out.printf(
            Locale.ROOT,
            "# %s: steady after %d warm-up steps; the first %d after %d warm-ups took %.3f s a"
                + " step%n",
            r.model(),
            r.warmSteps(),
            Math.min(r.steps(), r.warmSteps() - warmup),
            warmup,
            r.coldSecondsPerStep());
        System.out.printf(
            Locale.ROOT,
            "# %s: %d of %d timed steps clean (others below %.2f cores; their median %.2f);"
                + " the mean of all %.3f s a step%n",
            r.model(),
            r.cleanSteps(),
            r.timedSteps(),
            cleanThreshold,
            r.otherCores(),
            r.meanSecondsPerStep());
      }
      if (interleave) {
        printRatios(interleaved);
      }
      System.out.println();
    }
    if (!skipLatency) {
      if (allThreads != 1) {
        return latencyInSingleThreadedJvm();
      }
      System.out.println(
          "| model | resolution | latency median ms | p10 ms | p90 ms | cores busy |");
      System.out.println("|---|---:|---:|---:|---:|---:|");
      Map<String, Double> dl4j = new LinkedHashMap<>();
      List<ModelBenchmark.LatencyResult> measured = new ArrayList<>();
      for (String name : models) {
        ModelSpec spec = ModelRegistry.get(name).withClasses(classes);
        ModelBenchmark.LatencyResult r = ModelBenchmark.latency(spec, warmup, runs, quiet);
        measured.add(r);
        dl4j.put(name, r.medianMs());
        System.out.printf(
            Locale.ROOT,
            "| %s | %d | %.1f | %.1f | %.1f | %.2f |%n",
            r.model(),
            r.resolution(),
            r.medianMs(),
            r.p10Ms(),
            r.p90Ms(),
            r.cpuCores());
      }
      printCleanRuns(measured);
      if (!skipOnnx) {
        onnxLatency(dl4j, quiet);
      }
    }
    return 0;
  }

  /** How many of each model's timed latency runs were clean, after its table. */
  private void printCleanRuns(List<ModelBenchmark.LatencyResult> results) {
    System.out.println();
    for (ModelBenchmark.LatencyResult r : results) {
      System.out.printf(
          Locale.ROOT,
          "# %s: %d of %d timed runs clean (others below %.2f cores)%n",
          r.model(),
          r.cleanRuns(),
          r.timedRuns(),
          cleanThreshold);
    }
  }

  /** Each model's step time over the first's, from steps taken in turns. */
  private void printRatios(ModelBenchmark.Interleaved interleaved) {
    String first = interleaved.results().get(0).model();
    for (int m = 1; m < interleaved.results().size(); m++) {
      double[] r = interleaved.ratioToFirst(m);
      System.out.printf(
          Locale.ROOT,
          "# %s / %s step, taken in turns: %.3f (ratio of means); per round median %.3f,"
              + " quartiles %.3f-%.3f%n",
          interleaved.results().get(m).model(),
          first,
          r[0],
          r[1],
          r[2],
          r[3]);
    }
  }

  /** The same models exported to ONNX, in ONNX Runtime on one thread (the paper's method). */
  private void onnxLatency(Map<String, Double> dl4j, ModelBenchmark.Quiet quiet) {
    System.out.println();
    System.out.println(
        "| model | resolution | ONNX Runtime latency median ms | p10 ms | p90 ms | cores busy"
            + " | DL4J / ONNX Runtime |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    List<ModelBenchmark.LatencyResult> measured = new ArrayList<>();
    for (String name : models) {
      ModelSpec spec = ModelRegistry.get(name).withClasses(classes);
      ModelBenchmark.LatencyResult r = ModelBenchmark.onnxLatency(spec, warmup, runs, quiet);
      System.out.printf(
          Locale.ROOT,
          "| %s | %d | %.1f | %.1f | %.1f | %.2f | %.2fx |%n",
          r.model(),
          r.resolution(),
          r.medianMs(),
          r.p10Ms(),
          r.p90Ms(),
          r.cpuCores(),
          dl4j.get(name) / r.medianMs());
      measured.add(r);
    }
    printCleanRuns(measured);
  }

  /**
   * OpenMP and OpenBLAS fix their thread counts when the natives load, so single-thread latency is
   * measured in a child JVM started with OMP_NUM_THREADS=1 and OPENBLAS_NUM_THREADS=1 (the JVM's
   * own GC and JIT threads still run beside it).
   */
  private int latencyInSingleThreadedJvm() {
    List<String> args =
        new ArrayList<>(
            List.of(
                "bench",
                "models",
                "--skip-training",
                "--model",
                String.join(",", models),
                "--warmup",
                Integer.toString(warmup),
                "--runs",
                Integer.toString(runs),
                "--classes",
                Integer.toString(classes),
                "--idle-wait",
                Double.toString(idleWait),
                "--clean-threshold",
                Double.toString(cleanThreshold)));
    if (skipOnnx) {
      args.add("--skip-onnx");
    }
    ProcessBuilder child = SingleThreadLatency.singleThreaded(args).inheritIO();
    try {
      return child.start().waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the latency JVM: " + child.command().get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }
}
