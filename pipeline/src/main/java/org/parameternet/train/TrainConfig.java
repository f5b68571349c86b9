package org.parameternet.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.parameternet.config.Defaults;
import org.parameternet.config.Overrides;
import org.parameternet.data.augment.AugmentOptions;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;

/**
 * A validated training run configuration (HOCON, root key {@code train}). Every key, its default
 * and meaning is in {@code reference.conf} under {@code pnet.train}; a wrong key or value fails
 * here, naming the key and what is allowed, before any Spark work starts.
 */
public record TrainConfig(
    String model,
    int resolution,
    DataConfig data,
    String out,
    int epochs,
    long seed,
    int workers,
    int batchPerWorker,
    int averagingFrequency,
    int prefetch,
    int evalBatch,
    OptimizerConfig optimizer,
    ScheduleConfig schedule,
    double labelSmoothing,
    double dropout,
    double emaDecay,
    AugmentOptions augment,
    CheckpointConfig checkpoint,
    InitConfig init,
    String rendered) {

  /** {@code train.data}: what is trained on and, optionally, evaluated after every epoch. */
  public record DataConfig(String path, String split, String valPath, String valSplit) {}

  /** {@code train.optimizer}: AdamW. */
  public record OptimizerConfig(
      double lr, double beta1, double beta2, double epsilon, double weightDecay) {}

  /** {@code train.schedule}: linear warm-up, then cosine decay per update. */
  public record ScheduleConfig(double warmupEpochs, double warmupLr, double minLr) {}

  /** {@code train.checkpoint}: when checkpoints are written and how many are kept. */
  public record CheckpointConfig(int everyEpochs, int everyRounds, int keep) {}

  /** {@code train.init}: finetuning's starting checkpoint ("" for none) and layer decay. */
  public record InitConfig(String checkpoint, double layerDecay) {}

  public static final String ROOT = "train";

  /** Every training key with its default: {@code pnet.train} of {@code reference.conf}. */
  public static Config defaults() {
    return Defaults.reference().withOnlyPath(ROOT);
  }

  /** Reads an experiment file, applies {@code key=value} overrides, validates. */
  public static TrainConfig load(File file, List<String> overrides) {
    if (!file.isFile()) {
      throw new IllegalArgumentException("config file " + file + " does not exist");
    }
    Config config;
    try {
      config = ConfigFactory.parseFile(file).resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("config file " + file + ": " + e.getMessage(), e);
    }
    return from(withOverrides(config, overrides));
  }

  public static Config withOverrides(Config config, List<String> overrides) {
    return Overrides.apply(config, ROOT, overrides);
  }

  public static TrainConfig from(Config user) {
    Config c = withDefaults(user);
    String model = readModel(c);
    int res = readResolution(c, model);
    AugmentOptions augment = readAugment(c, res);
    // Read before the other keys, as they were before the sections existed: with several bad
    // keys, the error still names these first.
    String dataPath = required(c, "data.path");
    String out = required(c, "out");
    double lr = positive(c, "optimizer.lr");
    TrainConfig config =
        new TrainConfig(
            model,
            res,
            readData(c, dataPath),
            out,
            atLeast(c, "epochs", 1),
            get(c, "seed", () -> c.getLong("seed")),
            atLeast(c, "workers", 0),
            atLeast(c, "batch-per-worker", 1),
            atLeast(c, "averaging-frequency", 1),
            atLeast(c, "prefetch", 0),
            atLeast(c, "eval-batch", 1),
            readOptimizer(c, lr),
            readSchedule(c),
            unit(c, "label-smoothing"),
            unit(c, "dropout"),
            unit(c, "ema-decay"),
            augment,
            readCheckpoint(c),
            readInit(c),
            c.atPath(ROOT).root().render(ConfigRenderOptions.concise().setFormatted(true)));
    checkAcrossKeys(config);
    return config;
  }

  /**
   * The {@code train} section of {@code user} over the defaults. A key the defaults lack is refused
   * rather than ignored: a misspelt key would otherwise train silently with the default.
   */
  private static Config withDefaults(Config user) {
    Config defaults = defaults();
    if (!user.hasPath(ROOT)) {
      throw new IllegalArgumentException("the configuration has no '" + ROOT + "' section");
    }
    TreeSet<String> unknown = new TreeSet<>();
    for (Map.Entry<String, ?> e : user.getConfig(ROOT).entrySet()) {
      if (!defaults.hasPath(ROOT + "." + e.getKey())) {
        unknown.add(ROOT + "." + e.getKey());
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          "unknown configuration keys "
              + unknown
              + "; the allowed keys are pnet.train's in reference.conf, listed in docs/commands/pretrain.md");
    }
    return user.withFallback(defaults).resolve().getConfig(ROOT);
  }

  private static String readModel(Config c) {
    String model = get(c, "model", () -> c.getString("model"));
    if (!ModelRegistry.names().contains(model)) {
      throw new IllegalArgumentException(
          "train.model = "
              + model
              + " is not a registered model; allowed: "
              + ModelRegistry.names());
    }
    return model;
  }

  /** {@code train.resolution}, with 0 meaning the model's native resolution. */
  private static int readResolution(Config c, String model) {
    int resolution = atLeast(c, "resolution", 0);
    if (resolution != 0 && resolution < 16) {
      throw new IllegalArgumentException("train.resolution must be 0 (native) or >= 16");
    }
    int nativeRes = ModelRegistry.get(model).resolution();
    return resolution == 0 ? nativeRes : resolution;
  }

  /** {@code train.augment}, whose own checks are prefixed with the section's name. */
  private static AugmentOptions readAugment(Config c, int res) {
    try {
      return new AugmentOptions(
          res,
          number(c, "augment.scale-min"),
          number(c, "augment.scale-max"),
          number(c, "augment.ratio-min"),
          number(c, "augment.ratio-max"),
          number(c, "augment.flip"),
          get(c, "augment.rand-augment", () -> c.getString("augment.rand-augment")),
          number(c, "augment.random-erasing"),
          number(c, "augment.eval-crop"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("train.augment: " + e.getMessage(), e);
    }
  }

  private static DataConfig readData(Config c, String path) {
    return new DataConfig(
        path,
        nonEmpty(c, "data.split"),
        get(c, "data.val-path", () -> c.getString("data.val-path")),
        nonEmpty(c, "data.val-split"));
  }

  private static OptimizerConfig readOptimizer(Config c, double lr) {
    return new OptimizerConfig(
        lr,
        unit(c, "optimizer.beta1"),
        unit(c, "optimizer.beta2"),
        positive(c, "optimizer.epsilon"),
        nonNegative(c, "optimizer.weight-decay"));
  }

  private static ScheduleConfig readSchedule(Config c) {
    return new ScheduleConfig(
        nonNegative(c, "schedule.warmup-epochs"),
        nonNegative(c, "schedule.warmup-lr"),
        nonNegative(c, "schedule.min-lr"));
  }

  private static CheckpointConfig readCheckpoint(Config c) {
    return new CheckpointConfig(
        atLeast(c, "checkpoint.every-epochs", 1),
        atLeast(c, "checkpoint.every-rounds", 0),
        atLeast(c, "checkpoint.keep", 1));
  }

  private static InitConfig readInit(Config c) {
    return new InitConfig(
        get(c, "init.checkpoint", () -> c.getString("init.checkpoint")),
        positive(c, "init.layer-decay"));
  }

  /** The rules that involve two keys, or a bound the single-key readers do not express. */
  private static void checkAcrossKeys(TrainConfig config) {
    if (config.schedule().warmupEpochs() >= config.epochs()
        && config.schedule().warmupEpochs() > 0) {
      throw new IllegalArgumentException(
          "train.schedule.warmup-epochs ("
              + config.schedule().warmupEpochs()
              + ") must be below train.epochs ("
              + config.epochs()
              + ")");
    }
    if (config.init().layerDecay() > 1) {
      throw new IllegalArgumentException("train.init.layer-decay must be in (0, 1]");
    }
  }

  /** The model at the training resolution, with the classes of the data and the dropout. */
  public ModelSpec spec(int classes) {
    return ModelRegistry.get(model)
        .withResolution(resolution)
        .withClasses(classes)
        .withDropout(dropout);
  }

  public boolean emaEnabled() {
    return emaDecay > 0;
  }

  private static <T> T get(Config c, String key, Supplier<T> read) {
    try {
      return read.get();
    } catch (ConfigException e) {
      throw new IllegalArgumentException("train." + key + ": " + e.getMessage(), e);
    }
  }

  private static double number(Config c, String key) {
    return get(c, key, () -> c.getDouble(key));
  }

  private static String required(Config c, String key) {
    String v = get(c, key, () -> c.getString(key));
    if (v.isBlank()) {
      throw new IllegalArgumentException("train." + key + " is required (a Hadoop URI or path)");
    }
    return v;
  }

  private static String nonEmpty(Config c, String key) {
    String v = get(c, key, () -> c.getString(key));
    if (v.isBlank()) {
      throw new IllegalArgumentException("train." + key + " must not be empty");
    }
    return v;
  }

  private static int atLeast(Config c, String key, int min) {
    int v = get(c, key, () -> c.getInt(key));
    if (v < min) {
      throw new IllegalArgumentException("train." + key + " = " + v + " must be >= " + min);
    }
    return v;
  }

  private static double positive(Config c, String key) {
    double v = number(c, key);
    if (!(v > 0)) {
      throw new IllegalArgumentException("train." + key + " = " + v + " must be > 0");
    }
    return v;
  }

  private static double nonNegative(Config c, String key) {
    double v = number(c, key);
    if (!(v >= 0)) {
      throw new IllegalArgumentException("train." + key + " = " + v + " must be >= 0");
    }
    return v;
  }

  private static double unit(Config c, String key) {
    double v = number(c, key);
    if (!(v >= 0 && v < 1)) {
      throw new IllegalArgumentException("train." + key + " = " + v + " must be in [0, 1)");
    }
    return v;
  }
}
