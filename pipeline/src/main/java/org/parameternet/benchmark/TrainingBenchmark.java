package org.parameternet.benchmark;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardSlice;
import org.parameternet.train.CosineWarmupSchedule;
import org.parameternet.train.EpochPlan;
import org.parameternet.train.ResidentNetworkTrainingMaster;
import org.parameternet.train.ShardDataSetLoader;
import org.parameternet.train.StepListener;
import org.parameternet.train.StepRecord;
import org.parameternet.train.TrainConfig;
import org.parameternet.train.TrainingData;
import org.parameternet.train.TrainingNetworks;

/**
 * Where the time of parameter-averaged training goes: rounds of the real training path (shard
 * slices, loader, DL4J parameter averaging) at several averaging frequencies, split into the time
 * workers spend in training steps and the rest (broadcast, network set-up from it, result transfer,
 * averaging, scheduling, waiting for the slowest worker); and the loader alone.
 */
public final class TrainingBenchmark {
  private TrainingBenchmark() {}

  /**
   * One model at one averaging frequency.
   *
   * @param stepMs mean time of one training step on one worker
   * @param overheadShare fraction of the rounds' wall time not spent in workers' steps
   */
  public record FrequencyResult(
      String model,
      int resolution,
      long params,
      int frequency,
      int rounds,
      double roundSeconds,
      double stepMs,
      double imagesPerSecondPerWorker,
      double overheadShare) {}

  /** Decode + augment of training minibatches on one thread. */
  public record LoaderResult(int resolution, int images, double imagesPerSecond) {}

  public static List<FrequencyResult> averaging(
      SparkSession spark,
      String dataset,
      String model,
      int resolution,
      int batch,
      int workers,
      int[] frequencies,
      int rounds)
      throws IOException {
    AveragingRounds bench =
        new AveragingRounds(spark, dataset, model, resolution, batch, workers, rounds);
    List<FrequencyResult> results = new ArrayList<>();
    for (int f : frequencyOrder(frequencies)) {
      results.add(bench.at(f));
    }
    results.sort((a, b) -> Integer.compare(a.frequency(), b.frequency()));
    return results;
  }

  /** Frequency > 1 first: their steps give the per-step time that frequency 1 cannot measure. */
  private static List<Integer> frequencyOrder(int[] frequencies) {
    List<Integer> order = new ArrayList<>();
    for (int f : frequencies) {
      if (f > 1) {
        order.add(f);
      }
    }
    for (int f : frequencies) {
      if (f == 1) {
        order.add(f);
      }
    }
    return order;
  }

  /** One network on the real training path, timed at one averaging frequency after another. */
  private static final class AveragingRounds {
    private final JavaSparkContext sc;
    private final TrainConfig config;
    private final ComputationGraph net;
    private final ShardDataSetLoader loader;
    private final CollectionAccumulator<StepRecord> steps;
    private final StepListener listener;
    private final SlicePool pool;
    private final String model;
    private final int batch;
    private final int workers;
    private final int rounds;

    /** The first measured step time, for frequencies whose own steps cannot be told apart. */
    private double knownStepMs = Double.NaN;

    AveragingRounds(
        SparkSession spark,
        String dataset,
        String model,
        int resolution,
        int batch,
        int workers,
        int rounds)
        throws IOException {
      this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      this.config = config(dataset, model, resolution, batch);
      int classes = TrainingData.classes(sc.hadoopConfiguration(), dataset);
      List<RowGroup> groups = TrainingData.rowGroups(sc, dataset, "train");
      CosineWarmupSchedule schedule = new CosineWarmupSchedule(1e-3, 1e-3, 1e-3, 0, 1_000_000, 1.0);
      this.net = TrainingNetworks.create(config, config.spec(classes), schedule);
      this.loader =
          new ShardDataSetLoader(
              config.augment(), classes, 0.1, new HadoopConf(sc.hadoopConfiguration()));
      this.steps = sc.sc().collectionAccumulator("bench steps");
      this.listener = new StepListener(steps);
      this.pool = new SlicePool(groups, batch);
      this.model = model;
      this.batch = batch;
      this.workers = workers;
      this.rounds = rounds;
    }

    /** A warm-up round, then {@code rounds} timed rounds at frequency {@code f}. */
    FrequencyResult at(int f) {
      ResidentNetworkTrainingMaster master =
          ResidentNetworkTrainingMaster.create(workers, batch, f, 2, 0);
      SparkComputationGraph sparkNet = new SparkComputationGraph(sc, net, master);
      sparkNet.setListeners(List.of(listener));
      double wallMs = 0;
      long timedSteps = 0;
      double stepMsSum = 0;
      int stepMsCount = 0;
      for (int r = -1; r < rounds; r++) { // round -1 warms up
        double ms = round(sparkNet, f, r);
        if (r < 0) {
          continue;
        }
        wallMs += ms;
        timedSteps += f;
        for (StepRecord s : steps.value()) {
          if (!Double.isNaN(s.millis())) {
            stepMsSum += s.millis();
            stepMsCount++;
          }
        }
      }
      double stepMs = stepMsCount > 0 ? stepMsSum / stepMsCount : knownStepMs;
      if (stepMsCount > 0 && Double.isNaN(knownStepMs)) {
        knownStepMs = stepMs;
      }
      double busy = timedSteps * stepMs;
      return new FrequencyResult(
          model,
          config.resolution(),
          net.numParams(),
          f,
          rounds,
          wallMs / 1e3 / rounds,
          stepMs,
          (double) timedSteps * batch / (wallMs / 1e3),
          Math.max(0, 1 - busy / wallMs));
    }

    /** Fits round {@code r}'s slices on the workers; its wall time in ms. */
    private double round(SparkComputationGraph sparkNet, int f, int r) {
      List<String> descriptors = new ArrayList<>();
      for (int i = 0; i < workers * f; i++) {
        descriptors.add(pool.next().toDescriptor());
      }
      sc.setJobDescription("bench train " + model + " frequency " + f + " round " + r);
      steps.reset();
      long t0 = System.nanoTime();
      JavaRDD<String> rdd = sc.parallelize(descriptors, workers);
      sparkNet.fitPaths(rdd, loader);
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  /** The loader on one thread: slices decoded and augmented into minibatches. */
  public static LoaderResult loader(
      SparkSession spark, String dataset, String model, int resolution, int batch, int slices)
      throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    TrainConfig config = config(dataset, model, resolution, batch);
    int classes = TrainingData.classes(sc.hadoopConfiguration(), dataset);
    ShardDataSetLoader loader =
        new ShardDataSetLoader(
            config.augment(), classes, 0.1, new HadoopConf(sc.hadoopConfiguration()));
    SlicePool pool = new SlicePool(TrainingData.rowGroups(sc, dataset, "train"), batch);
    loader.load(pool.next()); // warm-up (native libraries, row-group cache)
    int images = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < slices; i++) {
      images += (int) loader.load(pool.next()).numExamples();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new LoaderResult(config.resolution(), images, images / seconds);
  }

  private static TrainConfig config(String dataset, String model, int resolution, int batch) {
    return TrainConfig.from(
        ConfigFactory.parseString(
            String.format(
                "train { model = %s, resolution = %d, data.path = \"%s\", out = unused,"
                    + " epochs = 1, schedule.warmup-epochs = 0, batch-per-worker = %d }",
                model, resolution, dataset, batch)));
  }

  /** Endless minibatch slices: epoch after epoch of the data set. */
  private static final class SlicePool {
    private final List<RowGroup> groups;
    private final int batch;
    private List<ShardSlice> current = List.of();
    private int next;
    private int epoch;

    SlicePool(List<RowGroup> groups, int batch) {
      this.groups = groups;
      this.batch = batch;
    }

    /** The next full minibatch (a row group's short tail slice is skipped). */
    ShardSlice next() {
      while (true) {
        while (next >= current.size()) {
          current = EpochPlan.of(groups, new Random(epoch).nextLong(), epoch, 1, batch, 1).slices();
          epoch++;
          next = 0;
        }
        ShardSlice s = current.get(next++);
        if (s.size() == batch) {
          return s;
        }
      }
    }
  }
}
