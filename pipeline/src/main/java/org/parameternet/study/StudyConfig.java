package org.parameternet.study;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.parameternet.config.Defaults;
import org.parameternet.config.Overrides;
import org.parameternet.model.ModelRegistry;

/**
 * A study (HOCON, root key {@code study}): models x pretraining data sets, each model also trained
 * on the target data alone; stage settings are {@code train} blocks layered over the training
 * defaults.
 *
 * @param target the finetuning / evaluation data (the paper's ImageNet-1K)
 * @param pretraining the pretraining data sets (the paper's ImageNet-22K)
 */
public record StudyConfig(
    String out,
    List<String> models,
    DataSet target,
    List<DataSet> pretraining,
    Config common,
    Config scratch,
    Config pretrain,
    Config finetune,
    int latencyWarmup,
    int latencyRuns,
    int evalBatch) {

  /** A named ingested data set: training shards and (for the target) validation shards. */
  public record DataSet(String name, String train, String val) {}

  public static StudyConfig load(File file, List<String> overrides) {
    if (!file.isFile()) {
      throw new IllegalArgumentException("study file " + file + " does not exist");
    }
    try {
      return from(Overrides.apply(ConfigFactory.parseFile(file), "study", overrides).resolve());
    } catch (ConfigException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  static StudyConfig from(Config root) {
    if (!root.hasPath("study")) {
      throw new IllegalArgumentException("the study file has no 'study' section");
    }
    Config s = root.getConfig("study");
    for (String key : s.root().keySet()) {
      if (!List.of(
              "out",
              "models",
              "target",
              "pretraining",
              "train",
              "scratch",
              "pretrain",
              "finetune",
              "evaluate")
          .contains(key)) {
        throw new IllegalArgumentException(
            "unknown key study."
                + key
                + "; allowed: out, models, target, pretraining, train, scratch, pretrain,"
                + " finetune, evaluate");
      }
    }
    List<String> models = s.getStringList("models");
    if (models.isEmpty()) {
      throw new IllegalArgumentException("study.models is empty");
    }
    for (String m : models) {
      if (!ModelRegistry.names().contains(m)) {
        throw new IllegalArgumentException(
            "study.models: " + m + " is not a registered model; allowed: " + ModelRegistry.names());
      }
    }
    DataSet target = dataSet(s.getConfig("target"), "study.target", true);
    List<DataSet> pre = new ArrayList<>();
    for (Config p : s.getConfigList("pretraining")) {
      pre.add(dataSet(p, "study.pretraining", false));
    }
    Config empty = ConfigFactory.empty();
    // the study's evaluate block over pnet.evaluate's defaults (reference.conf)
    Config evaluate =
        (s.hasPath("evaluate") ? s.getConfig("evaluate") : empty)
            .withFallback(Defaults.of("evaluate"));
    return new StudyConfig(
        s.getString("out"),
        models,
        target,
        pre,
        s.hasPath("train") ? s.getConfig("train") : empty,
        s.hasPath("scratch") ? s.getConfig("scratch") : empty,
        s.hasPath("pretrain") ? s.getConfig("pretrain") : empty,
        s.hasPath("finetune") ? s.getConfig("finetune") : empty,
        evaluate.getInt("latency-warmup"),
        evaluate.getInt("latency-runs"),
        evaluate.getInt("batch"));
  }

  private static DataSet dataSet(Config d, String where, boolean needsVal) {
    String name = d.getString("name");
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException(where + ".name '" + name + "' must be [A-Za-z0-9_.-]+");
    }
    String val = d.hasPath("val") ? d.getString("val") : "";
    if (needsVal && val.isBlank()) {
      throw new IllegalArgumentException(where + ".val is required (the evaluation data)");
    }
    return new DataSet(name, d.getString("train"), val);
  }
}
