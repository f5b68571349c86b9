package org.parameternet.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardSlice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One start of a run, from its {@link Trainer.Start} to the last epoch: each epoch's rounds (fit on
 * Spark, the workers' step records, EMA, divergence guard, metrics, checkpoints), then the epoch's
 * validation and checkpoint.
 */
final class TrainingRun {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);

  private final SparkSession spark;
  private final JavaSparkContext sc;
  private final TrainConfig config;
  private final Trainer.RunPlan plan;
  private final FileSystem fs;
  private final Path out;
  private final ComputationGraph net;
  private final ExponentialMovingAverage ema;
  private final SparkComputationGraph sparkNet;
  private final CollectionAccumulator<StepRecord> steps;
  private final StepListener stepListener;
  private final ShardDataSetLoader loader;
  private final TaskTimer timer = new TaskTimer();
  private TrainingState state;
  private long runStart;
  private long imagesThisStart;

  /** One round's outcome, for the epoch's figures. */
  private record Round(long steps, double loss) {}

  TrainingRun(SparkSession spark, TrainConfig config, Trainer.RunPlan plan, Trainer.Start start)
      throws IOException {
    this.spark = spark;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.config = config;
    this.plan = plan;
    this.out = new Path(config.out());
    this.fs = out.getFileSystem(sc.hadoopConfiguration());
    this.net = start.net();
    this.ema = start.ema();
    this.state = start.state();
    net.getConfiguration().setIterationCount((int) state.iteration());
    net.getConfiguration().setEpochCount(state.epoch());
    ResidentNetworkTrainingMaster master =
        ResidentNetworkTrainingMaster.create(
            plan.workers(),
            config.batchPerWorker(),
            config.averagingFrequency(),
            config.prefetch(),
            config.seed());
    this.sparkNet = new SparkComputationGraph(sc, net, master);
    this.steps = sc.sc().collectionAccumulator("pnet steps");
    this.stepListener = new StepListener(steps);
    sparkNet.setListeners(List.of(stepListener));
    this.loader =
        new ShardDataSetLoader(
            config.augment(),
            plan.classes(),
            config.labelSmoothing(),
            new HadoopConf(sc.hadoopConfiguration()));
  }

  /** The plan of one epoch: its seeded order of row groups, cut into rounds. */
  static EpochPlan epochPlan(TrainConfig config, List<RowGroup> groups, int epoch, int workers) {
    return EpochPlan.of(
        groups,
        config.seed(),
        epoch,
        workers,
        config.batchPerWorker(),
        config.averagingFrequency());
  }

  /** Trains to the last epoch, calling {@code afterRound} once a round's metrics are written. */
  TrainingSummary train(Consumer<TrainingState> afterRound) throws IOException {
    sc.sc().addSparkListener(timer);
    Metrics.Epoch lastEpoch = null;
    try (MetricsLog metrics = new MetricsLog(fs, out, state.starts(), state.iteration());
        TrainingProgress progress =
            new TrainingProgress("train " + config.model(), plan.totalSteps(), state.iteration())) {
      runStart = System.nanoTime();
      imagesThisStart = 0;
      for (int epoch = state.epoch(); epoch < config.epochs(); epoch++) {
        lastEpoch = epoch(epoch, metrics, progress, afterRound);
      }
    } finally {
      sc.sc().removeSparkListener(timer);
    }
    return new TrainingSummary(plan.checkpoints().latest(), state, Optional.ofNullable(lastEpoch));
  }

  private Metrics.Epoch epoch(
      int epoch, MetricsLog metrics, TrainingProgress progress, Consumer<TrainingState> afterRound)
      throws IOException {
    EpochPlan epochPlan = epochPlan(config, plan.groups(), epoch, plan.workers());
    int firstRound = epoch == state.epoch() ? state.round() : 0;
    double lossSum = 0;
    long lossSteps = 0;
    long epochStart = System.nanoTime();
    for (int r = firstRound; r < epochPlan.rounds(); r++) {
      Round round = round(epochPlan, epoch, r, metrics, progress);
      lossSum += round.loss() * round.steps();
      lossSteps += round.steps();
      boolean endOfEpoch = r + 1 == epochPlan.rounds();
      if (!endOfEpoch
          && config.checkpoint().everyRounds() > 0
          && (r + 1) % config.checkpoint().everyRounds() == 0) {
        checkpoint();
      }
      afterRound.accept(state);
    }
    return endOfEpoch(
        epoch, epochPlan, lossSteps == 0 ? Double.NaN : lossSum / lossSteps, epochStart, metrics);
  }

  /** Fits one round on Spark, then logs its steps and the round and moves the state on. */
  private Round round(
      EpochPlan epochPlan, int epoch, int r, MetricsLog metrics, TrainingProgress progress)
      throws IOException {
    List<ShardSlice> slices = epochPlan.round(r);
    long images = 0;
    for (ShardSlice s : slices) {
      images += s.size();
    }
    long before = state.iteration();
    sc.setJobDescription(
        String.format(
            "train %s: epoch %d/%d, round %d/%d",
            config.model(), epoch + 1, config.epochs(), r + 1, epochPlan.rounds()));
    double wallMillis = fit(slices, before, epoch);
    int roundSteps = epochPlan.steps(r);
    long after = before + roundSteps;
    net.getConfiguration().setIterationCount((int) after);
    net.getConfiguration().setEpochCount(epoch);

    Round round = logSteps(before, epoch, metrics);
    if (ema != null) {
      ema.update(net.params(), roundSteps);
    }
    Optional<String> poison = FiniteGuard.nonFinite(net, emaArray());
    if (poison.isPresent()) {
      throw diverged(poison.get() + " after step " + after, epoch);
    }
    imagesThisStart += images;
    metrics.write(roundLine(after, epoch, r, roundSteps, images, round.loss(), wallMillis));
    metrics.flush();
    state = state.afterRound(epoch, r + 1, after, images);
    progress.update(
        after,
        epoch,
        config.epochs(),
        round.loss(),
        imagesThisStart / ((System.nanoTime() - runStart) / 1e9));
    return round;
  }

  /**
   * Fits the slices on the workers; the wall time in ms. Then waits (up to 5 s) for the task timer
   * to hear of the round's task ends, so the round's line can report its compute time.
   */
  private double fit(List<ShardSlice> slices, long before, int epoch) {
    List<String> descriptors = new ArrayList<>(slices.size());
    for (ShardSlice s : slices) {
      descriptors.add(s.toDescriptor());
    }
    stepListener.startRound(before, epoch);
    timer.reset();
    long t0 = System.nanoTime();
    JavaRDD<String> rdd = sc.parallelize(descriptors, Math.min(plan.workers(), descriptors.size()));
    sparkNet.fitPaths(rdd, loader);
    rdd.unpersist(false);
    double wallMillis = (System.nanoTime() - t0) / 1e6;
    awaitTaskEvents(2 * rdd.getNumPartitions());
    return wallMillis;
  }

  /** The round's metrics line: compute is the slowest task, overhead the rest of the wall time. */
  private Metrics.Round roundLine(
      long after, int epoch, int r, int roundSteps, long images, double loss, double wallMillis) {
    double computeMillis = timer.maxRunMillis();
    return new Metrics.Round(
        after,
        epoch,
        r,
        roundSteps,
        images,
        loss,
        plan.schedule().valueAt((int) after - 1, epoch),
        wallMillis,
        computeMillis,
        timer.meanRunMillis(),
        Math.max(0, wallMillis - computeMillis),
        images / (wallMillis / 1e3));
  }

  /**
   * The workers' step records of the round just fitted, one line per step (mean loss over workers,
   * each worker counted once): they must be the round's steps, in order, and finite.
   */
  private Round logSteps(long before, int epoch, MetricsLog metrics) throws IOException {
    TreeMap<Long, RoundSteps.Step> byStep = RoundSteps.byStep(steps.value());
    steps.reset();
    if (!byStep.isEmpty()
        && (byStep.firstKey() != before || byStep.lastKey() != before + byStep.size() - 1)) {
      throw new IllegalStateException(
          "workers updated at steps "
              + byStep.keySet()
              + " but the round starts at global step "
              + before);
    }
    double lossSum = 0;
    long k = 0;
    for (RoundSteps.Step s : byStep.values()) {
      long step = before + (++k);
      metrics.write(
          new Metrics.Step(
              step,
              epoch,
              s.loss(),
              plan.schedule().valueAt((int) (step - 1), epoch),
              s.workers()));
      lossSum += s.loss();
      if (!Double.isFinite(s.loss())) {
        throw diverged("non-finite loss " + s.loss() + " at step " + step, epoch);
      }
    }
    return new Round(k, k == 0 ? Double.NaN : lossSum / k);
  }

  /** The epoch's line (with validation when there is a validation set) and its checkpoint. */
  private Metrics.Epoch endOfEpoch(
      int epoch, EpochPlan epochPlan, double loss, long epochStart, MetricsLog metrics)
      throws IOException {
    Metrics.Epoch line =
        new Metrics.Epoch(
            state.iteration(),
            epoch,
            loss,
            epochPlan.images(),
            (System.nanoTime() - epochStart) / 1e9,
            null,
            null,
            null,
            null,
            null);
    if (!config.data().valPath().isBlank()) {
      EvaluationResult val = evaluate(net.params());
      line = line.withValidation(val, ema == null ? null : evaluate(ema.average()));
      LOG.info("epoch {}: validation {}", epoch + 1, line);
    }
    metrics.write(line);
    metrics.flush();
    state = state.afterEpoch(epoch + 1);
    if ((epoch + 1) % config.checkpoint().everyEpochs() == 0 || epoch + 1 == config.epochs()) {
      checkpoint();
    }
    return line;
  }

  private void checkpoint() throws IOException {
    plan.checkpoints()
        .save(
            net,
            emaArray(),
            state,
            plan.fingerprint(),
            config.rendered(),
            config.checkpoint().keep());
  }

  /** The round's two jobs (count, train) report one task end per partition each. */
  private void awaitTaskEvents(int tasks) {
    try {
      timer.await(tasks, 5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private EvaluationResult evaluate(INDArray params) throws IOException {
    return Evaluator.evaluate(
        spark,
        net.getConfiguration(),
        params,
        config.data().valPath(),
        config.data().valSplit(),
        config.augment(),
        config.evalBatch());
  }

  private INDArray emaArray() {
    return ema == null ? null : ema.average();
  }

  private TrainingDivergedException diverged(String what, int epoch) {
    return new TrainingDivergedException(
        what
            + " (epoch "
            + (epoch + 1)
            + "); the run stops here and the last checkpoint in "
            + new RunLayout(out).checkpoints()
            + " is untouched");
  }
}
