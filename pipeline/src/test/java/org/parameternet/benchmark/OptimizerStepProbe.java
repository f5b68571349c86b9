package org.parameternet.benchmark;

import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.Natives;
import org.parameternet.train.CosineWarmupSchedule;
import org.parameternet.train.FlatGradientUpdater;
import org.parameternet.train.TrainConfig;
import org.parameternet.train.TrainingNetworks;

/**
 * Times one training step's parts on a network built as training builds it (AdamW, weight decay,
 * cosine schedule): forward + backward alone, the whole {@code fit}, and the updater alone (on a
 * saved gradient, so repeated calls see the same values). Medians of warmed iterations.
 *
 * <pre>
 *   java -cp ... org.parameternet.benchmark.OptimizerStepProbe ghostnet_small_64 64 100 8 [dl4j] [blocks] [loop]
 *   (dl4j: DL4J's own updater; blocks: the slowest updater blocks; loop: a long updater run)
 * </pre>
 */
public final class OptimizerStepProbe {
  private OptimizerStepProbe() {}

  public static void main(String[] args) {
    String model = args[0];
    int batch = Integer.parseInt(args[1]);
    int classes = Integer.parseInt(args[2]);
    int runs = Integer.parseInt(args[3]);
    List<String> flags = Arrays.asList(args).subList(4, args.length);
    ComputationGraph net = trainingNetwork(model, classes, !flags.contains("dl4j"));
    DataSet data = randomBatch(ModelRegistry.get(model).resolution(), batch, classes);
    for (int i = 0; i < 2; i++) {
      net.fit(data);
    }
    System.out.printf(
        "%s batch %d: %d parameters, %d updater blocks, %s%n",
        model,
        batch,
        net.numParams(),
        net.getUpdater().getUpdaterBlocks().size(),
        net.getUpdater().getClass().getSimpleName());
    Phases phases = new Phases();
    net.setListeners(phases);
    double[][] split = new double[3][runs];
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      net.fit(data);
      long end = System.nanoTime();
      split[0][i] = (phases.gradientAt - start) / 1e6;
      split[1][i] = (phases.updatedAt - phases.gradientAt) / 1e6;
      split[2][i] = (end - start) / 1e6;
    }
    net.setListeners();
    INDArray savedGradient = net.getFlattenedGradients().dup();
    double updater = median(runs, () -> updaterOnly(net, savedGradient, batch));
    System.out.printf(
        "fit %.1f ms: forward+backward+score %.1f ms, optimizer (update + step) %.1f ms;"
            + " updater alone %.1f ms (medians of %d)%n",
        median(split[2]), median(split[0]), median(split[1]), updater, runs);
    if (flags.contains("blocks")) {
      printSlowestBlocks(net);
    }
    if (flags.contains("loop")) {
      // a long run of the updater alone, for a profiler
      median(20 * runs, () -> updaterOnly(net, savedGradient, batch));
    }
  }

  /** As TrainingNetworks.create, with DL4J's own updater left in place unless {@code flat}. */
  static ComputationGraph trainingNetwork(String model, int classes, boolean flat) {
    TrainConfig config =
        TrainConfig.from(
            ConfigFactory.parseString(
                String.join(
                    "\n",
                    "train.model = " + model,
                    "train.data.path = unused",
                    "train.out = unused")));
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(1e-3, 1e-6, 1e-5, 100, 1000, 1.0);
    Natives.useOneDnnHelpers();
    ComputationGraph net =
        GhostNetBuilder.initialise(
            TrainingNetworks.configuration(config, config.spec(classes), schedule));
    if (flat) {
      FlatGradientUpdater.install(net);
    }
    return net;
  }

  private static void updaterOnly(ComputationGraph net, INDArray savedGradient, int batch) {
    net.getFlattenedGradients().assign(savedGradient);
    Nd4j.getExecutioner().commit();
    long t0 = System.nanoTime();
    net.getUpdater().update(net.gradient(), 5, 0, batch, LayerWorkspaceMgr.noWorkspaces());
    lastUpdaterNanos = System.nanoTime() - t0;
  }

  private static long lastUpdaterNanos;

  /** The ten blocks whose Adam application takes longest, with their layout. */
  private static void printSlowestBlocks(ComputationGraph net) {
    ComputationGraphUpdater updater = net.getUpdater();
    List<UpdaterBlock> blocks = updater.getUpdaterBlocks();
    record Timed(UpdaterBlock block, double ms) {}
    Timed[] timed = new Timed[blocks.size()];
    for (int b = 0; b < blocks.size(); b++) {
      UpdaterBlock block = blocks.get(b);
      double[] ms = new double[5];
      for (int r = 0; r < ms.length; r++) {
        long t0 = System.nanoTime();
        block.getGradientUpdater().applyUpdater(block.getGradientView(), 5, 0);
        ms[r] = (System.nanoTime() - t0) / 1e6;
      }
      Arrays.sort(ms);
      timed[b] = new Timed(block, ms[2]);
    }
    double total = Arrays.stream(timed).mapToDouble(Timed::ms).sum();
    System.out.printf("sum of blocks' applyUpdater: %.1f ms%n", total);
    Arrays.sort(timed, (x, y) -> Double.compare(y.ms, x.ms));
    for (Timed t : Arrays.copyOf(timed, Math.min(10, timed.length))) {
      INDArray g = t.block.getGradientView();
      INDArray s = t.block.getUpdaterView();
      System.out.printf(
          "%8.2f ms  %9d values  %s  grad %s ews %d order %c  state %s ews %d order %c  %s%n",
          t.ms,
          g.length(),
          t.block.getGradientUpdater().getClass().getSimpleName(),
          Arrays.toString(g.shape()),
          g.elementWiseStride(),
          g.ordering(),
          s == null ? "-" : Arrays.toString(s.shape()),
          s == null ? 0 : s.elementWiseStride(),
          s == null ? '-' : s.ordering(),
          t.block.getLayersAndVariablesInBlock().get(0).getParamName());
    }
  }

  /**
   * When a fit's gradient is ready (listeners hear of it before the updater runs) and when its
   * update is applied (iterationDone comes after the parameter step).
   */
  private static final class Phases extends BaseTrainingListener {
    long gradientAt;
    long updatedAt;

    @Override
    public void onGradientCalculation(Model model) {
      gradientAt = System.nanoTime();
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
      updatedAt = System.nanoTime();
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static double median(int runs, Runnable step) {
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      lastUpdaterNanos = -1;
      long t0 = System.nanoTime();
      step.run();
      Nd4j.getExecutioner().commit();
      long nanos = lastUpdaterNanos >= 0 ? lastUpdaterNanos : System.nanoTime() - t0;
      ms[i] = nanos / 1e6;
    }
    Arrays.sort(ms);
    return ms[runs / 2];
  }

  private static DataSet randomBatch(int resolution, int batch, int classes) {
    INDArray features = Nd4j.rand(DataType.FLOAT, batch, 3, resolution, resolution);
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, classes);
    for (int i = 0; i < batch; i++) {
      labels.putScalar(i, i % classes, 1);
    }
    return new DataSet(features, labels);
  }
}
