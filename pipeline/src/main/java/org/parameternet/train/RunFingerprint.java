package org.parameternet.train;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.parameternet.data.shards.RowGroup;

/**
 * What fixes a run's data order and the meaning of its steps, stored with each checkpoint: a resume
 * that changes any of it would continue another run's curve with silently different batches. The
 * data set is identified by its row groups (shard file names, row group index and rows: what the
 * epoch plans are made of) and its label space by the wnids in order, so a data set moved to
 * another path still matches and one re-ingested differently does not. {@code workers} is the
 * resolved count ({@code workers = 0} becomes the executors found at the first start).
 */
public record RunFingerprint(
    String model,
    long seed,
    int workers,
    int batchPerWorker,
    int averagingFrequency,
    String data,
    int rowGroups,
    long rows,
    String shardsHash,
    int classes,
    String labelsHash,
    Map<String, String> recipe) {

  static RunFingerprint of(
      TrainConfig config, int workers, List<RowGroup> groups, List<String> wnids) {
    long rows = 0;
    StringBuilder shards = new StringBuilder();
    for (RowGroup g : groups) {
      rows += g.rows();
      String file = g.file().substring(g.file().lastIndexOf('/') + 1);
      shards.append(file).append(':').append(g.index()).append(':').append(g.rows()).append('\n');
    }
    return new RunFingerprint(
        config.model(),
        config.seed(),
        workers,
        config.batchPerWorker(),
        config.averagingFrequency(),
        config.data().path(),
        groups.size(),
        rows,
        sha256(shards.toString()),
        wnids.size(),
        sha256(String.join("\n", wnids)),
        recipe(config));
  }

  /**
   * The keys that change what a step computes: resolution, optimizer, schedule, label smoothing,
   * dropout, EMA, augmentation and layer decay. The network a resume restores keeps its saved
   * schedule and dropout, so a change to any of them would be logged and written to train.conf but
   * not applied; it is refused instead.
   */
  static Map<String, String> recipe(TrainConfig c) {
    Map<String, String> r = new TreeMap<>();
    r.put("resolution", String.valueOf(c.resolution()));
    r.put("optimizer.lr", String.valueOf(c.optimizer().lr()));
    r.put("optimizer.beta1", String.valueOf(c.optimizer().beta1()));
    r.put("optimizer.beta2", String.valueOf(c.optimizer().beta2()));
    r.put("optimizer.epsilon", String.valueOf(c.optimizer().epsilon()));
    r.put("optimizer.weight-decay", String.valueOf(c.optimizer().weightDecay()));
    r.put("schedule.warmup-epochs", String.valueOf(c.schedule().warmupEpochs()));
    r.put("schedule.warmup-lr", String.valueOf(c.schedule().warmupLr()));
    r.put("schedule.min-lr", String.valueOf(c.schedule().minLr()));
    r.put("label-smoothing", String.valueOf(c.labelSmoothing()));
    r.put("dropout", String.valueOf(c.dropout()));
    r.put("ema-decay", String.valueOf(c.emaDecay()));
    r.put("augment.scale-min", String.valueOf(c.augment().scaleMin()));
    r.put("augment.scale-max", String.valueOf(c.augment().scaleMax()));
    r.put("augment.ratio-min", String.valueOf(c.augment().ratioMin()));
    r.put("augment.ratio-max", String.valueOf(c.augment().ratioMax()));
    r.put("augment.flip", String.valueOf(c.augment().flip()));
    r.put("augment.rand-augment", c.augment().randAugment());
    r.put("augment.random-erasing", String.valueOf(c.augment().erasing()));
    r.put("init.layer-decay", String.valueOf(c.init().layerDecay()));
    return r;
  }

  /** Each field that differs, as {@code name (saved -> now)}; the data path is not compared. */
  List<String> differences(RunFingerprint now) {
    List<String> d = new ArrayList<>();
    compare(d, "model", model, now.model);
    compare(d, "seed", seed, now.seed);
    compare(d, "workers", workers, now.workers);
    compare(d, "batch-per-worker", batchPerWorker, now.batchPerWorker);
    compare(d, "averaging-frequency", averagingFrequency, now.averagingFrequency);
    compare(d, "data row groups", rowGroups, now.rowGroups);
    compare(d, "data rows", rows, now.rows);
    if (rowGroups == now.rowGroups && rows == now.rows) {
      compare(d, "data shards (names and row counts)", shardsHash, now.shardsHash);
    }
    if (recipe != null && now.recipe != null) { // checkpoints of an earlier pnet have none
      for (Map.Entry<String, String> e : recipe.entrySet()) {
        compare(d, e.getKey(), e.getValue(), now.recipe.get(e.getKey()));
      }
    }
    compare(d, "classes", classes, now.classes);
    if (classes == now.classes) {
      compare(d, "label space (wnids in order)", labelsHash, now.labelsHash);
    }
    return d;
  }

  private static void compare(List<String> d, String name, Object saved, Object now) {
    if (!Objects.equals(saved, now)) {
      d.add(name + " (" + saved + " -> " + now + ")");
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
