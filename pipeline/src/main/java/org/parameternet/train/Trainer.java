package org.parameternet.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.data.OutputLock;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.Natives;
import org.parameternet.spark.ExecutorPaths;
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
  private TrainingSummary run(boolean resume, Consumer<TrainingState> afterRound)
      throws IOException {
    // the executors read the shards (the driver alone writes the run's files)
    ExecutorPaths.requireShared(spark, new Path(config.data().path()), "train.data.path");
    if (!config.data().valPath().isEmpty()) {
      ExecutorPaths.requireShared(spark, new Path(config.data().valPath()), "train.data.val-path");
    }
    new RunLayout(out).claim(fs);
    try (OutputLock lock = OutputLock.acquire(fs, new RunLayout(out).lock(), "train.out " + out)) {
      return runLocked(resume, afterRound);
    }
  }

  /** The checkpoint to resume from (null: a fresh run), refusing what cannot be resumed. */
  private Path startingPoint(Checkpoints checkpoints, boolean resume) throws IOException {
    Path latest = checkpoints.latest();
    List<Path> incomplete = checkpoints.incomplete();
    if (!resume && (latest != null || !incomplete.isEmpty())) {
      throw new ExistingRunException(
          config.out(),
          (latest != null ? latest : incomplete.get(incomplete.size() - 1)).getName());
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
    return paths.stream().map(Path::getName).collect(Collectors.joining(", "));
  }

  /** What a run is, fixed before step one: its data, workers, length, schedule and identity. */
  record RunPlan(
      Checkpoints checkpoints,
      Path latest,
      int classes,
      ModelSpec spec,
      List<RowGroup> groups,
      int workers,
      RunFingerprint fingerprint,
      long totalSteps,
      CosineWarmupSchedule schedule) {}

  /** Where the run starts: the network, its position, and the EMA (null when off). */
  record Start(ComputationGraph net, TrainingState state, ExponentialMovingAverage ema) {}

  private TrainingSummary runLocked(boolean resume, Consumer<TrainingState> afterRound)
      throws IOException {
    RunPlan plan = plan(resume);
    Natives.useOneDnnHelpers();
    Start start = plan.latest() != null ? resume(plan) : fresh(plan);
    INDArray updaterState = start.net().getUpdater().getStateViewArray();
    DriverMemory.requireRoom(
        start.net().numParams() + (updaterState == null ? 0 : updaterState.length()),
        plan.workers(),
        Runtime.getRuntime().maxMemory());
    writeConfig();
    return new TrainingRun(spark, config, plan, start).train(afterRound);
  }

  /** Checks everything that can be checked before step one, and fixes the run's plan. */
  private RunPlan plan(boolean resume) throws IOException {
    Configuration hadoop = sc.hadoopConfiguration();
    Checkpoints checkpoints = new Checkpoints(fs, out);
    Path latest = startingPoint(checkpoints, resume);
    checkpoints.removeIncomplete();
    int classes = TrainingData.classes(hadoop, config.data().path());
    if (!config.data().valPath().isBlank()) { // before step one: a typo must not cost an epoch
      TrainingData.requireSameLabelSpace(
          hadoop,
          config.data().path(),
          config.data().valPath(),
          config.data().valSplit(),
          "train.data.val-path");
    }
    List<RowGroup> groups = TrainingData.rowGroups(sc, config.data().path(), config.data().split());
    RunFingerprint saved = latest == null ? null : Checkpoints.fingerprint(fs, latest);
    int workers = workers(saved);
    RunFingerprint fingerprint =
        RunFingerprint.of(
            config, workers, groups, ClassMapping.wnids(hadoop, config.data().path()));
    if (latest != null) {
      requireSameRun(latest, saved, fingerprint);
    }
    long totalSteps = totalSteps(config, groups, workers);
    CosineWarmupSchedule schedule = schedule(config, totalSteps);
    return new RunPlan(
        checkpoints,
        latest,
        classes,
        config.spec(classes),
        groups,
        workers,
        fingerprint,
        totalSteps,
        schedule);
  }

  /** The updates a run of {@code config} makes on {@code workers} workers. */
  static long totalSteps(TrainConfig config, List<RowGroup> groups, int workers) {
    long total = 0;
    for (int e = 0; e < config.epochs(); e++) {
      total += TrainingRun.epochPlan(config, groups, e, workers).stepsPerEpoch();
    }
    return total;
  }

  /**
   * The learning rate of every update: warm-up over the first warm-up epochs' steps, then cosine.
   */
  static CosineWarmupSchedule schedule(TrainConfig config, long totalSteps) {
    long warmupSteps = Math.round(config.schedule().warmupEpochs() * totalSteps / config.epochs());
    return new CosineWarmupSchedule(
        config.optimizer().lr(),
        config.schedule().warmupLr(),
        config.schedule().minLr(),
        warmupSteps,
        totalSteps,
        1.0);
  }

  private Start fresh(RunPlan plan) throws IOException {
    ComputationGraph net = TrainingNetworks.create(config, plan.spec(), plan.schedule());
    if (!config.init().checkpoint().isBlank()) {
      initialiseFrom(net, plan.classes());
    }
    TrainingState state =
        new TrainingState(
            config.model(), plan.classes(), 0, 0, 0, plan.totalSteps(), 0, config.seed(), 1);
    ExponentialMovingAverage ema =
        config.emaEnabled() ? new ExponentialMovingAverage(config.emaDecay(), net.params()) : null;
    return new Start(net, state, ema);
  }

  private Start resume(RunPlan plan) throws IOException {
    Path latest = plan.latest();
    Checkpoints.Loaded loaded = Checkpoints.load(fs, latest, true);
    TrainingState saved = loaded.state();
    if (!saved.model().equals(config.model())
        || saved.classes() != plan.classes()
        || saved.totalSteps() != plan.totalSteps()) {
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
              + plan.classes()
              + " classes, "
              + plan.totalSteps()
              + " steps");
    }
    ComputationGraph net = loaded.network();
    TrainingState state =
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
    ExponentialMovingAverage ema =
        config.emaEnabled()
            ? new ExponentialMovingAverage(
                config.emaDecay(), loaded.ema() != null ? loaded.ema() : net.params())
            : null;
    LOG.info(
        "resuming {} at epoch {} round {} (step {} of {})",
        latest,
        state.epoch() + 1,
        state.round(),
        state.iteration(),
        plan.totalSteps());
    return new Start(net, state, ema);
  }

  /** Finetuning: copies a pretrained network into {@code net}, carrying classifier rows. */
  private void initialiseFrom(ComputationGraph net, int classes) throws IOException {
    Path source = new Path(config.init().checkpoint());
    FileSystem sourceFs = source.getFileSystem(sc.hadoopConfiguration());
    Path checkpoint = Checkpoints.resolve(sourceFs, source);
    Checkpoints.Loaded pretrained = Checkpoints.load(sourceFs, checkpoint, false);
    String pretrainData = pretrained.train().getString("data.path");
    if (pretrained.ema() != null) {
      // finetune from the averaged weights when the pretraining kept them, as timm does
      pretrained.network().setParams(pretrained.ema());
    }
    int[] map = ClassMapping.of(sc.hadoopConfiguration(), config.data().path(), pretrainData);
    HeadTransfer.Result r = HeadTransfer.apply(pretrained.network(), net, map);
    LOG.info(
        "initialised from {}: {} layers copied, classifier rows carried over for {} of {} classes"
            + " ({} start fresh)",
        checkpoint,
        r.layersCopied(),
        r.carried(),
        r.classes(),
        r.fresh());
    new RunLayout(out)
        .writeInit(
            fs,
            new RunLayout.Init(
                checkpoint.toString(),
                pretrainData,
                pretrained.ema() != null,
                r.layersCopied(),
                r.classes(),
                r.carried(),
                r.fresh(),
                config.init().layerDecay()));
  }

  private void writeConfig() throws IOException {
    fs.mkdirs(out);
    try (var stream = fs.create(new RunLayout(out).config(), true)) {
      stream.write(config.rendered().getBytes(StandardCharsets.UTF_8));
    }
  }
}
