package org.parameternet.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
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
import org.parameternet.data.OutputLock;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardSlice;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.Natives;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data-parallel training with Deeplearning4j's parameter averaging, driven round by round from the
 * driver: each round deals {@code averaging-frequency} minibatch slices to every worker (executor
 * task), the workers train their copy, and the driver averages parameters and Adam state. Driving
 * rounds here (instead of one {@code fit} per epoch) is what makes the epoch order seeded, resume
 * exact to the round, metrics per round, and EMA and divergence checks possible.
 */
public final class Trainer {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  private final SparkSession spark;
  private final TrainConfig config;
  private final JavaSparkContext sc;
  private final FileSystem fs;
  private final Path out;

  private Trainer(SparkSession spark, TrainConfig config) throws IOException {
    this.spark = spark;
    this.config = config;
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    this.out = new Path(config.out());
    this.fs = out.getFileSystem(sc.hadoopConfiguration());
  }

  /** Trains to the configured number of epochs; with {@code resume}, from the latest checkpoint. */
  public static TrainingSummary run(SparkSession spark, TrainConfig config, boolean resume)
      throws IOException {
    return new Trainer(spark, config).run(resume, state -> {});
  }

  /** As {@link #run}, calling {@code afterRound} once a round's metrics are written (tests). */
  static TrainingSummary run(
      SparkSession spark, TrainConfig config, boolean resume, Consumer<TrainingState> afterRound)
      throws IOException {
    return new Trainer(spark, config).run(resume, afterRound);
  }

  /**
   * Held in {@code train.out} for the whole run: a second run on the same output is refused before
   * it touches anything (each would delete the other's temporary checkpoints).
   */
  static final String LOCK = ".pnet-train.lock";

  private TrainingSummary run(boolean resume, Consumer<TrainingState> afterRound)
      throws IOException {
    fs.mkdirs(out);
    try (OutputLock lock = OutputLock.acquire(fs, new Path(out, LOCK), "train.out " + out)) {
      return runLocked(resume, afterRound);
    }
  }

  /** The checkpoint to resume from (null: a fresh run), refusing what cannot be resumed. */
  private Path startingPoint(Checkpoints checkpoints, boolean resume) throws IOException {
    Path latest = checkpoints.latest();
    List<Path> incomplete = checkpoints.incomplete();
    if (!resume && (latest != null || !incomplete.isEmpty())) {
      throw new IllegalArgumentException(
          config.out()
              + " already holds checkpoints ("
              + (latest != null ? latest : incomplete.get(incomplete.size() - 1)).getName()
              + "); pass --resume to continue that run or choose another train.out");
    }
    if (latest == null && incomplete.isEmpty()) {
      return null;
    }
    if (latest == null) {
      throw new IllegalArgumentException(
          config.out()
              + " holds no complete checkpoint to resume: "
              + names(incomplete)
              + " lack "
              + Checkpoints.COMPLETE
              + " (a write cut short, or checkpoints of a pnet without completion markers)");
    }
    List<Path> newer =
        incomplete.stream().filter(p -> p.getName().compareTo(latest.getName()) > 0).toList();
    if (!newer.isEmpty()) {
      LOG.warn(
          "ignoring incomplete checkpoint(s) {} (no {}, a write cut short): resuming from {}",
          names(newer),
          Checkpoints.COMPLETE,
          latest.getName());
    }
    return latest;
  }

  /**
   * The configured worker count; {@code workers = 0} means the executors Spark reports, resolved at
   * the first start and taken from the checkpoint on a resume (executors may still be registering
   * then).
   */
  private int workers(RunFingerprint saved) {
    if (config.workers() > 0) {
      return config.workers();
    }
    return saved != null ? saved.workers() : sc.defaultParallelism();
  }

  private void requireSameRun(Path latest, RunFingerprint saved, RunFingerprint now) {
    if (saved == null) {
      throw new IllegalArgumentException(
          "cannot resume "
              + latest
              + ": it has no "
              + Checkpoints.FINGERPRINT
              + ", so nothing shows that this configuration continues the run that wrote it");
    }
    List<String> differences = saved.differences(now);
    if (!differences.isEmpty()) {
      throw new IllegalArgumentException(
          "cannot resume "
              + latest
              + ": the configuration changes what the run's steps are: "
              + String.join(", ", differences)
              + ". Set them back, or train into another train.out");
    }
  }

  private static String names(List<Path> paths) {
    return paths.stream().map(Path::getName).collect(java.util.stream.Collectors.joining(", "));
  }

  private TrainingSummary runLocked(boolean resume, Consumer<TrainingState> afterRound)
      throws IOException {
    Configuration hadoop = sc.hadoopConfiguration();
    Checkpoints checkpoints = new Checkpoints(fs, out);
    Path latest = startingPoint(checkpoints, resume);
    checkpoints.removeIncomplete();
    int classes = TrainingData.classes(hadoop, config.dataPath());
    if (!config.valPath().isBlank()) { // before step one: a typo must not cost an epoch
      TrainingData.requireSameLabelSpace(
          hadoop, config.dataPath(), config.valPath(), config.valSplit(), "train.data.val-path");
    }
    ModelSpec spec = config.spec(classes);
    List<RowGroup> groups = TrainingData.rowGroups(sc, config.dataPath(), config.dataSplit());
    RunFingerprint savedRun = latest == null ? null : Checkpoints.fingerprint(fs, latest);
    int workers = workers(savedRun);
    RunFingerprint fingerprint =
        RunFingerprint.of(config, workers, groups, ClassMapping.wnids(hadoop, config.dataPath()));
    if (latest != null) {
      requireSameRun(latest, savedRun, fingerprint);
    }
    long totalSteps = 0;
    for (int e = 0; e < config.epochs(); e++) {
      totalSteps += plan(groups, e, workers).stepsPerEpoch();
    }
    long warmupSteps = Math.round(config.warmupEpochs() * totalSteps / config.epochs());
    CosineWarmupSchedule schedule =
        new CosineWarmupSchedule(
            config.lr(), config.warmupLr(), config.minLr(), warmupSteps, totalSteps, 1.0);

    ComputationGraph net;
    TrainingState state;
    ExponentialMovingAverage ema = null;
    Natives.useOneDnnHelpers();
    if (latest != null) {
      Checkpoints.Loaded loaded = Checkpoints.load(fs, latest, true);
      TrainingState saved = loaded.state();
      if (!saved.model().equals(config.model())
          || saved.classes() != classes
          || saved.totalSteps() != totalSteps) {
        throw new IllegalArgumentException(
            "cannot resume "
                + latest
                + ": it trained "
                + saved.model()
                + " with "
                + saved.classes()
                + " classes for "
                + saved.totalSteps()
                + " steps, the configuration now asks for "
                + config.model()
                + ", "
                + classes
                + " classes, "
                + totalSteps
                + " steps");
      }
      net = loaded.network();
      state =
          new TrainingState(
              saved.model(),
              saved.classes(),
              saved.epoch(),
              saved.round(),
              saved.iteration(),
              saved.totalSteps(),
              saved.images(),
              saved.seed(),
              saved.starts() + 1);
      if (config.emaEnabled()) {
        ema =
            new ExponentialMovingAverage(
                config.emaDecay(), loaded.ema() != null ? loaded.ema() : net.params());
      }
      LOG.info(
          "resuming {} at epoch {} round {} (step {} of {})",
          latest,
          state.epoch() + 1,
          state.round(),
          state.iteration(),
          totalSteps);
    } else {
      net = TrainingNetworks.create(config, spec, schedule);
      if (!config.initCheckpoint().isBlank()) {
        initialiseFrom(net, classes);
      }
      state = new TrainingState(config.model(), classes, 0, 0, 0, totalSteps, 0, config.seed(), 1);
      if (config.emaEnabled()) {
        ema = new ExponentialMovingAverage(config.emaDecay(), net.params());
      }
    }
    INDArray updaterState = net.getUpdater().getStateViewArray();
    DriverMemory.requireRoom(
        net.numParams() + (updaterState == null ? 0 : updaterState.length()),
        workers,
        Runtime.getRuntime().maxMemory());
    net.getConfiguration().setIterationCount((int) state.iteration());
    net.getConfiguration().setEpochCount(state.epoch());

    ResidentNetworkTrainingMaster master =
        ResidentNetworkTrainingMaster.create(
            workers,
            config.batchPerWorker(),
            config.averagingFrequency(),
            config.prefetch(),
            config.seed());
    SparkComputationGraph sparkNet = new SparkComputationGraph(sc, net, master);
    CollectionAccumulator<StepRecord> steps = sc.sc().collectionAccumulator("pnet steps");
    StepListener stepListener = new StepListener(steps);
    sparkNet.setListeners(List.of(stepListener));
    ShardDataSetLoader loader =
        new ShardDataSetLoader(
            config.augment(), classes, config.labelSmoothing(), new HadoopConf(hadoop));
    TaskTimer timer = new TaskTimer();
    sc.sc().addSparkListener(timer);
    writeConfig();

    Map<String, Object> lastEpoch = new LinkedHashMap<>();
    try (MetricsLog metrics = new MetricsLog(fs, out, state.starts(), state.iteration());
        TrainingProgress progress =
            new TrainingProgress("train " + config.model(), totalSteps, state.iteration())) {
      long runStart = System.nanoTime();
      long imagesThisStart = 0;
      for (int epoch = state.epoch(); epoch < config.epochs(); epoch++) {
        EpochPlan plan = plan(groups, epoch, workers);
        int firstRound = epoch == state.epoch() ? state.round() : 0;
        double epochLoss = 0;
        long epochLossSteps = 0;
        long epochStart = System.nanoTime();
        for (int r = firstRound; r < plan.rounds(); r++) {
          List<ShardSlice> round = plan.round(r);
          List<String> descriptors = new ArrayList<>(round.size());
          long images = 0;
          for (ShardSlice s : round) {
            descriptors.add(s.toDescriptor());
            images += s.size();
          }
          long before = state.iteration();
          sc.setJobDescription(
              String.format(
                  "train %s: epoch %d/%d, round %d/%d",
                  config.model(), epoch + 1, config.epochs(), r + 1, plan.rounds()));
          stepListener.startRound(before, epoch);
          timer.reset();
          long t0 = System.nanoTime();
          JavaRDD<String> rdd = sc.parallelize(descriptors, Math.min(workers, descriptors.size()));
          sparkNet.fitPaths(rdd, loader);
          rdd.unpersist(false);
          double wallMillis = (System.nanoTime() - t0) / 1e6;
          awaitTaskEvents(timer, 2 * rdd.getNumPartitions());
          int roundSteps = plan.steps(r);
          long after = before + roundSteps;
          net.getConfiguration().setIterationCount((int) after);
          net.getConfiguration().setEpochCount(epoch);

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
          double roundLoss = 0;
          long k = 0;
          for (Map.Entry<Long, RoundSteps.Step> e : byStep.entrySet()) {
            double loss = e.getValue().loss();
            long step = before + (++k);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("iteration", step);
            line.put("epoch", epoch);
            line.put("loss", loss);
            line.put("lr", schedule.valueAt((int) (step - 1), epoch));
            line.put("workers", e.getValue().workers());
            metrics.write(MetricsLog.Kind.STEPS, line);
            roundLoss += loss;
            if (!Double.isFinite(loss)) {
              throw diverged("non-finite loss " + loss + " at step " + step, epoch);
            }
          }
          roundLoss = k == 0 ? Double.NaN : roundLoss / k;
          if (ema != null) {
            ema.update(net.params(), roundSteps);
          }
          Optional<String> poison = FiniteGuard.nonFinite(net, emaArray(ema));
          if (poison.isPresent()) {
            throw diverged(poison.get() + " after step " + after, epoch);
          }
          imagesThisStart += images;
          epochLoss += roundLoss * k;
          epochLossSteps += k;
          double computeMillis = timer.maxRunMillis();
          Map<String, Object> line = new LinkedHashMap<>();
          line.put("iteration", after);
          line.put("epoch", epoch);
          line.put("round", r);
          line.put("steps", roundSteps);
          line.put("images", images);
          line.put("loss", roundLoss);
          line.put("lr", schedule.valueAt((int) after - 1, epoch));
          line.put("wall_ms", wallMillis);
          line.put("compute_ms", computeMillis);
          line.put("mean_task_ms", timer.meanRunMillis());
          line.put("overhead_ms", Math.max(0, wallMillis - computeMillis));
          line.put("images_per_s", images / (wallMillis / 1e3));
          metrics.write(MetricsLog.Kind.ROUNDS, line);
          metrics.flush();
          state =
              new TrainingState(
                  state.model(),
                  classes,
                  epoch,
                  r + 1,
                  after,
                  totalSteps,
                  state.images() + images,
                  state.seed(),
                  state.starts());
          progress.update(
              after,
              epoch,
              config.epochs(),
              roundLoss,
              imagesThisStart / ((System.nanoTime() - runStart) / 1e9));
          boolean endOfEpoch = r + 1 == plan.rounds();
          if (!endOfEpoch
              && config.checkpointEveryRounds() > 0
              && (r + 1) % config.checkpointEveryRounds() == 0) {
            checkpoints.save(
                net, emaArray(ema), state, fingerprint, config.rendered(), config.checkpointKeep());
          }
          afterRound.accept(state);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("iteration", state.iteration());
        line.put("epoch", epoch);
        line.put("loss", epochLossSteps == 0 ? Double.NaN : epochLoss / epochLossSteps);
        line.put("images", plan.images());
        line.put("seconds", (System.nanoTime() - epochStart) / 1e9);
        if (!config.valPath().isBlank()) {
          EvaluationResult val = evaluate(net, net.params());
          line.put("val_top1", val.top1());
          line.put("val_top5", val.top5());
          line.put("val_loss", val.loss());
          if (ema != null) {
            EvaluationResult valEma = evaluate(net, ema.average());
            line.put("val_top1_ema", valEma.top1());
            line.put("val_top5_ema", valEma.top5());
          }
          LOG.info("epoch {}: validation {}", epoch + 1, line);
        }
        metrics.write(MetricsLog.Kind.EPOCHS, line);
        metrics.flush();
        lastEpoch = line;
        state =
            new TrainingState(
                state.model(),
                classes,
                epoch + 1,
                0,
                state.iteration(),
                totalSteps,
                state.images(),
                state.seed(),
                state.starts());
        if ((epoch + 1) % config.checkpointEveryEpochs() == 0 || epoch + 1 == config.epochs()) {
          checkpoints.save(
              net, emaArray(ema), state, fingerprint, config.rendered(), config.checkpointKeep());
        }
      }
    } finally {
      sc.sc().removeSparkListener(timer);
    }
    return new TrainingSummary(checkpoints.latest(), state, lastEpoch);
  }

  /** Finetuning: copies a pretrained network into {@code net}, carrying classifier rows. */
  private void initialiseFrom(ComputationGraph net, int classes) throws IOException {
    Path source = new Path(config.initCheckpoint());
    FileSystem sourceFs = source.getFileSystem(sc.hadoopConfiguration());
    Path checkpoint = Checkpoints.resolve(sourceFs, source);
    Checkpoints.Loaded pretrained = Checkpoints.load(sourceFs, checkpoint, false);
    String pretrainData = pretrained.train().getString("data.path");
    if (pretrained.ema() != null) {
      // finetune from the averaged weights when the pretraining kept them, as timm does
      pretrained.network().setParams(pretrained.ema());
    }
    int[] map = ClassMapping.of(sc.hadoopConfiguration(), config.dataPath(), pretrainData);
    HeadTransfer.Result r = HeadTransfer.apply(pretrained.network(), net, map);
    LOG.info(
        "initialised from {}: {} layers copied, classifier rows carried over for {} of {} classes"
            + " ({} start fresh)",
        checkpoint,
        r.layersCopied(),
        r.carried(),
        r.classes(),
        r.fresh());
    Map<String, Object> init = new LinkedHashMap<>();
    init.put("checkpoint", checkpoint.toString());
    init.put("pretrain_data", pretrainData);
    init.put("ema_weights", pretrained.ema() != null);
    init.put("layers_copied", r.layersCopied());
    init.put("classes", r.classes());
    init.put("classifier_rows_carried", r.carried());
    init.put("classifier_rows_fresh", r.fresh());
    init.put("layer_decay", config.layerDecay());
    fs.mkdirs(out);
    try (var stream = fs.create(new Path(out, "init.json"), true)) {
      stream.write(
          new com.fasterxml.jackson.databind.ObjectMapper()
              .writerWithDefaultPrettyPrinter()
              .writeValueAsBytes(init));
    }
    System.out.printf(
        "initialised from %s: classifier rows carried over for %d of %d classes%n",
        checkpoint, r.carried(), r.classes());
  }

  /** The round's two jobs (count, train) report one task end per partition each. */
  private static void awaitTaskEvents(TaskTimer timer, int tasks) {
    try {
      timer.await(tasks, 5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private EpochPlan plan(List<RowGroup> groups, int epoch, int workers) {
    return EpochPlan.of(
        groups,
        config.seed(),
        epoch,
        workers,
        config.batchPerWorker(),
        config.averagingFrequency());
  }

  private EvaluationResult evaluate(ComputationGraph net, INDArray params) throws IOException {
    return Evaluator.evaluate(
        spark,
        net.getConfiguration(),
        params,
        config.valPath(),
        config.valSplit(),
        config.augment(),
        config.evalBatch());
  }

  private void writeConfig() throws IOException {
    fs.mkdirs(out);
    try (var stream = fs.create(new Path(out, "train.conf"), true)) {
      stream.write(config.rendered().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private static INDArray emaArray(ExponentialMovingAverage ema) {
    return ema == null ? null : ema.average();
  }

  private TrainingDivergedException diverged(String what, int epoch) {
    return new TrainingDivergedException(
        what
            + " (epoch "
            + (epoch + 1)
            + "); the run stops here and the last checkpoint in "
            + out
            + "/checkpoints is untouched");
  }
}
