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
   * @param cpuCores CPU seconds per wall second during the timed steps (how many cores worked)
   * @param warmSteps untimed steps before the timed ones (the least asked for, then until steady)
   * @param coldSecondsPerStep the mean of the first {@code steps} steps after the least warm-up:
   *     what a measurement without the wait for the steady state reads
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
      double coldSecondsPerStep) {}

  /** Batch-1 inference latency percentiles in milliseconds. */
  public record LatencyResult(
      String model,
      int resolution,
      int runs,
      double medianMs,
      double p10Ms,
      double p90Ms,
      double cpuCores) {}

  /**
   * Forward + backward + update steps on a fixed random batch, float32, at the steady state: after
   * {@code warmup} steps and then more until steady ({@link #warmUntilSteady}), as a training run
   * of thousands of steps spends them. The native blocks' Java steps start interpreted: at the
   * small cell, 10 steps after 3 warm-ups averaged 0.286 s a step and after 25 warm-ups 0.206.
   */
  public static TrainingResult training(ModelSpec spec, int batch, int warmup, int steps) {
    return interleavedTraining(List.of(spec), batch, warmup, steps).results().get(0);
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
      List<ModelSpec> specs, int batch, int warmup, int steps) {
    List<ComputationGraph> nets = new ArrayList<>();
    List<DataSet> data = new ArrayList<>();
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
      nets.add(net);
      data.add(batchData);
    }
    double[][] seconds = new double[specs.size()][steps];
    double[] cpu = new double[specs.size()];
    for (int i = 0; i < steps; i++) {
      for (int m = 0; m < specs.size(); m++) {
        double cpu0 = ProcessCpu.seconds();
        long t0 = System.nanoTime();
        nets.get(m).fit(data.get(m));
        seconds[m][i] = (System.nanoTime() - t0) / 1e9;
        cpu[m] += ProcessCpu.seconds() - cpu0;
      }
    }
    List<TrainingResult> results = new ArrayList<>();
    for (int m = 0; m < specs.size(); m++) {
      double total = Arrays.stream(seconds[m]).sum();
      results.add(
          new TrainingResult(
              specs.get(m).name(),
              specs.get(m).resolution(),
              batch,
              steps,
              total / steps,
              batch * steps / total,
              ProcessCpu.seconds() < 0 ? Double.NaN : cpu[m] / total,
              warmSteps[m],
              cold[m]));
    }
    return new Interleaved(results, seconds);
  }

  /** {@link #interleavedTraining}'s results, and each model's seconds per step by round. */
  public record Interleaved(List<TrainingResult> results, double[][] stepSeconds) {
    /**
     * Model {@code m}'s step time over model 0's: the ratio of their means, then the median and
     * quartiles of the rounds' ratios.
     */
    public double[] ratioToFirst(int m) {
      int rounds = stepSeconds[0].length;
      double[] perRound = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        perRound[i] = stepSeconds[m][i] / stepSeconds[0][i];
      }
      Arrays.sort(perRound);
      double means = Arrays.stream(stepSeconds[m]).sum() / Arrays.stream(stepSeconds[0]).sum();
      return new double[] {
        means, percentile(perRound, 0.5), percentile(perRound, 0.25), percentile(perRound, 0.75)
      };
    }
  }

  /**
   * Batch-1 inference in the calling thread's current native thread limit, of the network as
   * deployed (a RepConv model's folded form: weights do not change the time).
   */
  public static LatencyResult latency(ModelSpec spec, int warmup, int runs) {
    ComputationGraph net = GhostNetBuilder.build(spec.inferenceForm(), 1);
    INDArray image = Nd4j.rand(DataType.FLOAT, 1, 3, spec.resolution(), spec.resolution());
    return timed(spec, warmup, runs, () -> net.outputSingle(false, image));
  }

  /**
   * Batch-1 latency in ONNX Runtime on one thread, the paper's method (Figure 5: "ONNX toolkit ...
   * single-thread mode"): the model exported at batch 1 with ORT's full graph optimisation, as
   * deployed (a RepConv model folded).
   */
  public static LatencyResult onnxLatency(ModelSpec spec, int warmup, int runs) {
    ModelSpec deployed = spec.inferenceForm();
    ComputationGraph net = GhostNetBuilder.build(deployed, 1);
    byte[] model = OnnxExport.export(deployed, net, OnnxExport.Options.batch(1)).toByteArray();
    INDArray image = Nd4j.rand(DataType.FLOAT, 1, 3, spec.resolution(), spec.resolution());
    try (OnnxRuntimeModel session = OnnxRuntimeModel.load(model, 1)) {
      return timed(spec, warmup, runs, () -> session.probabilities(image));
    }
  }

  /**
   * {@code warmup} untimed calls of {@code inference}, more until it is warm, then {@code runs}
   * timed calls.
   */
  private static LatencyResult timed(ModelSpec spec, int warmup, int runs, Runnable inference) {
    for (int i = 0; i < warmup; i++) {
      inference.run();
    }
    warmUntilSteady(inference);
    double[] ms = new double[runs];
    double cpu0 = ProcessCpu.seconds();
    long start = System.nanoTime();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      inference.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    double wall = (System.nanoTime() - start) / 1e9;
    double cpu = ProcessCpu.seconds() - cpu0;
    Arrays.sort(ms);
    return new LatencyResult(
        spec.name(),
        spec.resolution(),
        runs,
        percentile(ms, 0.5),
        percentile(ms, 0.1),
        percentile(ms, 0.9),
        cpu0 < 0 ? Double.NaN : cpu / wall);
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
      double median = percentile(ms, 0.5);
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

  private static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
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
