package org.parameternet.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.onnx.OnnxExport;
import org.parameternet.model.onnx.OnnxRuntimeModel;
import org.parameternet.train.FlatGradientUpdater;

/** Measures a model's training throughput and inference latency on this machine. */
public final class ModelBenchmark {
  private ModelBenchmark() {}

  /**
   * Training throughput at the steady state, and what warming up to it took.
   *
   * @param steps the clean timed steps asked for
   * @param secondsPerStep the headline: the median of the clean timed steps when there are at least
   *     3, else of all ({@link QuietRounds}, as the peer's harness reads its own)
   * @param imagesPerSecond {@code batch / secondsPerStep}
   * @param cpuCores CPU seconds per wall second during the timed steps (how many cores worked)
   * @param warmSteps untimed steps before the timed ones (the least asked for, then until steady)
   * @param coldSecondsPerStep the mean of the first {@code steps} steps after the least warm-up:
   *     what a measurement without the wait for the steady state reads
   * @param timedSteps the steps timed, disturbed ones included
   * @param cleanSteps the timed steps during which other processes used less than the threshold
   * @param meanSecondsPerStep the mean of all timed steps, disturbed ones included
   * @param otherCores the median of the cores other processes used during the timed steps
   */
  public record TrainingResult(
      String model,
      int resolution,
      int batch,
      int steps,
      double secondsPerStep,
      double imagesPerSecond,
      double cpuCores,
      int warmSteps,
      double coldSecondsPerStep,
      int timedSteps,
      int cleanSteps,
      double meanSecondsPerStep,
      double otherCores) {}

  /**
   * Batch-1 inference latency in milliseconds: the median, p10 and p90 of the clean runs when there
   * are at least 3, else of all ({@link QuietRounds}); {@code runs} is the clean runs asked for,
   * {@code timedRuns} and {@code cleanRuns} what was timed.
   */
  public record LatencyResult(
      String model,
      int resolution,
      int runs,
      double medianMs,
      double p10Ms,
      double p90Ms,
      double cpuCores,
      int timedRuns,
      int cleanRuns) {}

  /**
   * How the timed steps and runs wait for a quiet machine: at most {@code idleWaitSeconds} before
   * each (0: no waiting), and a step or run is clean when other processes used fewer than {@code
   * cleanThreshold} cores during it. The peer's harness uses 10 s and 0.15 cores.
   */
  public record Quiet(double idleWaitSeconds, double cleanThreshold) {
    /** No waiting, every call clean: the plain median of the calls. */
    public static final Quiet NONE = new Quiet(0, Double.POSITIVE_INFINITY);
  }

  /**
   * Forward + backward + update steps on a fixed random batch, float32, at the steady state: after
   * {@code warmup} steps and then more until steady ({@link #warmUntilSteady}), as a training run
   * of thousands of steps spends them. The native blocks' Java steps start interpreted: at the
   * small cell, 10 steps after 3 warm-ups averaged 0.286 s a step and after 25 warm-ups 0.206.
   */
  public static TrainingResult training(
      ModelSpec spec, int batch, int warmup, int steps, Quiet quiet) {
    return interleavedTraining(List.of(spec), batch, warmup, steps, quiet).results().get(0);
  }

  /**
   * Training steps of several models, each timed step followed by one of the next model's: each
   * model warmed to its steady state as {@link #training} does, then {@code steps} rounds of one
   * timed step per model. The machine's speed moves by up to 25% between minutes here, so models
   * timed one after the other can read a ratio the models do not have; taken in turns, the drift
   * falls on all alike.
   *
   * @return each model's result ({@code cpuCores} over its own steps), and each model's seconds per
   *     step by round
   */
  public static Interleaved interleavedTraining(
      List<ModelSpec> specs, int batch, int warmup, int steps, Quiet quiet) {
    List<Runnable> steppers = new ArrayList<>();
    int[] warmSteps = new int[specs.size()];
    double[] cold = new double[specs.size()];
    for (int m = 0; m < specs.size(); m++) {
      ComputationGraph net = GhostNetBuilder.build(specs.get(m), 1);
      FlatGradientUpdater.install(net);
      DataSet batchData = randomBatch(specs.get(m), batch);
      for (int i = 0; i < warmup; i++) {
        net.fit(batchData);
      }
      double[] warm = warmUntilSteady(() -> net.fit(batchData));
      warmSteps[m] = warmup + warm.length;
      for (int i = 0; i < Math.min(steps, warm.length); i++) {
        cold[m] += warm[i] / 1e3 / Math.min(steps, warm.length);
      }
      steppers.add(() -> net.fit(batchData));
    }
    QuietRounds.Result timed =
        QuietRounds.time(
            steppers,
            steps,
            QuietRounds.Settings.training(quiet.idleWaitSeconds(), quiet.cleanThreshold()));
    List<TrainingResult> results = new ArrayList<>();
    for (int m = 0; m < specs.size(); m++) {
      double headline = timed.headlineSeconds(m);
      results.add(
          new TrainingResult(
              specs.get(m).name(),
              specs.get(m).resolution(),
              batch,
              steps,
              headline,
              batch / headline,
              timed.ownCores(m),
              warmSteps[m],
              cold[m],
              timed.runs(m),
              timed.cleanRuns(m),
              timed.meanSeconds(m),
              timed.medianOtherCores(m)));
    }
    return new Interleaved(results, timed);
  }

  /** {@link #interleavedTraining}'s results, and each model's steps by round. */
  public record Interleaved(List<TrainingResult> results, QuietRounds.Result rounds) {
    /**
     * Model {@code m}'s step time over model 0's: the ratio of their means, then the median and
     * quartiles of the rounds' ratios (of the rounds clean for both, when there are 3).
     */
    public double[] ratioToFirst(int m) {
      return rounds.ratioToFirst(m);
    }
  }

  /**
   * Batch-1 inference in the calling thread's current native thread limit, of the network as
   * deployed (a RepConv model's folded form: weights do not change the time).
   */
  public static LatencyResult latency(ModelSpec spec, int warmup, int runs, Quiet quiet) {
    ComputationGraph net = GhostNetBuilder.build(spec.inferenceForm(), 1);
    INDArray image = Nd4j.rand(DataType.FLOAT, 1, 3, spec.resolution(), spec.resolution());
    return timed(spec, warmup, runs, quiet, () -> net.outputSingle(false, image));
  }

  /**
   * Batch-1 latency in ONNX Runtime on one thread, the paper's method (Figure 5: "ONNX toolkit ...
   * single-thread mode"): the model exported at batch 1 with ORT's full graph optimisation, as
   * deployed (a RepConv model folded).
   */
  public static LatencyResult onnxLatency(ModelSpec spec, int warmup, int runs, Quiet quiet) {
    ModelSpec deployed = spec.inferenceForm();
    ComputationGraph net = GhostNetBuilder.build(deployed, 1);
    byte[] model = OnnxExport.export(deployed, net, OnnxExport.Options.batch(1)).toByteArray();
    INDArray image = Nd4j.rand(DataType.FLOAT, 1, 3, spec.resolution(), spec.resolution());
    try (OnnxRuntimeModel session = OnnxRuntimeModel.load(model, 1)) {
      return timed(spec, warmup, runs, quiet, () -> session.probabilities(image));
    }
  }

  /**
   * {@code warmup} untimed calls of {@code inference}, more until it is warm, then {@code runs}
   * timed calls, more (up to twice as many) while fewer than {@code runs} were clean.
   */
  private static LatencyResult timed(
      ModelSpec spec, int warmup, int runs, Quiet quiet, Runnable inference) {
    for (int i = 0; i < warmup; i++) {
      inference.run();
    }
    warmUntilSteady(inference);
    QuietRounds.Result timed =
        QuietRounds.time(
            List.of(inference),
            runs,
            QuietRounds.Settings.latency(quiet.idleWaitSeconds(), quiet.cleanThreshold()));
    double[] ms = Arrays.stream(timed.headlineCalls(0)).map(sec -> sec * 1e3).sorted().toArray();
    return new LatencyResult(
        spec.name(),
        spec.resolution(),
        runs,
        QuietRounds.percentile(ms, 0.5),
        QuietRounds.percentile(ms, 0.1),
        QuietRounds.percentile(ms, 0.9),
        timed.ownCores(0),
        timed.runs(0),
        timed.cleanRuns(0));
  }

  /** Seconds of calls before {@link #warmUntilSteady} compares blocks. */
  private static final int WARM_SECONDS = 5;

  /** Calls compared in a row by {@link #warmUntilSteady}. */
  private static final int WARM_BLOCK = 5;

  /**
   * Runs {@code call} for at least {@link #WARM_SECONDS}, then in blocks of {@link #WARM_BLOCK}
   * until two blocks in a row have medians within 5% (at most 60 s in all): latency and training
   * throughput mean the steady state. The native blocks' Java steps run interpreted, then compiled
   * by tiers: GhostNet-300M's batch-1 latency read 117 ms after 2 warm-up calls and 40 ms after 10,
   * and one run that stopped at the first two agreeing blocks still read 155 ms. Returns each
   * call's milliseconds.
   */
  private static double[] warmUntilSteady(Runnable call) {
    List<Double> all = new ArrayList<>();
    long start = System.nanoTime();
    while (System.nanoTime() - start < WARM_SECONDS * 1_000_000_000L) {
      all.add(timedMs(call));
    }
    double previous = Double.NaN;
    long deadline = start + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      double[] ms = new double[WARM_BLOCK];
      for (int i = 0; i < WARM_BLOCK; i++) {
        ms[i] = timedMs(call);
        all.add(ms[i]);
      }
      Arrays.sort(ms);
      double median = QuietRounds.percentile(ms, 0.5);
      if (Math.abs(median - previous) <= 0.05 * previous) {
        break;
      }
      previous = median;
    }
    return all.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double timedMs(Runnable call) {
    long t0 = System.nanoTime();
    call.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  private static DataSet randomBatch(ModelSpec spec, int batch) {
    INDArray images = Nd4j.rand(DataType.FLOAT, batch, 3, spec.resolution(), spec.resolution());
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, spec.numClasses());
    for (int i = 0; i < batch; i++) {
      labels.putScalar(i, i % spec.numClasses(), 1.0);
    }
    return new DataSet(images, labels);
  }
}
