package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.data.OutputLockTest;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.model.onnx.OnnxRuntimeModel;

/** Parameter-averaged training in Spark local mode, on synthesized and ingested data. */
class TrainerTest {
  @TempDir static java.nio.file.Path dir;
  static TrainingFixture fixture;
  static FileSystem fs;

  @BeforeAll
  static void setUp() throws IOException {
    fixture = new TrainingFixture(dir);
    fs = FileSystem.getLocal(new Configuration());
  }

  @AfterAll
  static void tearDown() {
    fixture.close();
  }

  @Test
  void aSmallModelLearnsFarAboveChance() throws IOException {
    TrainConfig config = fixture.config("learns", "epochs = 4");
    TrainingSummary summary = Trainer.run(fixture.spark, config, false);
    MetricsLog.read(fs, new Path(config.out()), MetricsLog.Kind.EPOCHS)
        .forEach(System.out::println);
    double chance = 100.0 / TrainingFixture.SPEC.classes1k();
    double top1 = summary.lastEpoch().orElseThrow().valTop1();
    System.out.printf("val top-1 after 4 epochs: %.1f%% (chance %.1f%%)%n", top1, chance);
    assertTrue(top1 > 3 * chance, "val top-1 " + top1 + "% vs chance " + chance + "%");
    List<Map<String, Object>> epochs =
        MetricsLog.read(fs, new Path(config.out()), MetricsLog.Kind.EPOCHS);
    assertEquals(4, epochs.size());
    double first = ((Number) epochs.get(0).get("loss")).doubleValue();
    double last = ((Number) epochs.get(3).get("loss")).doubleValue();
    assertTrue(last < first, "training loss " + first + " -> " + last);
  }

  /**
   * A validation set that cannot be evaluated is refused before step one: a missing path, and a set
   * with the same classes in another order (same count, so top-1 would be silently wrong).
   */
  @Test
  void aBadValidationSetIsRefusedBeforeTraining() throws IOException {
    TrainConfig missing =
        fixture.config("bad-val", "epochs = 2", "data.val-path = \"" + fixture.val + "-typo\"");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Trainer.run(fixture.spark, missing, false));
    assertTrue(e.getMessage().contains("not an ingested data set"), e.getMessage());
    assertNothingTrained(missing);

    java.nio.file.Path reordered = fixture.dir.resolve("val-reordered");
    FileUtil.copy(
        fs, new Path(fixture.val), fs, new Path(reordered.toUri()), false, new Configuration());
    Path classesFile = DatasetLayout.read(fs, new Path(reordered.toUri())).classes();
    java.nio.file.Path classes = java.nio.file.Path.of(classesFile.toUri());
    List<String> lines = new ArrayList<>(Files.readAllLines(classes));
    String first = lines.get(1).split("\t", 2)[1];
    lines.set(1, "0\t" + lines.get(2).split("\t", 2)[1]);
    lines.set(2, "1\t" + first);
    Files.write(classes, lines);
    Files.deleteIfExists(
        classes.resolveSibling("." + classes.getFileName() + ".crc")); // Hadoop's checksum
    TrainConfig swapped =
        fixture.config("bad-val-2", "epochs = 2", "data.val-path = \"" + reordered.toUri() + "\"");
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Trainer.run(fixture.spark, swapped, false));
    assertTrue(e.getMessage().contains("first difference at label 0"), e.getMessage());
    assertTrue(e.getMessage().contains("train.data.val-path"), e.getMessage());
    assertNothingTrained(swapped);
  }

  private static void assertNothingTrained(TrainConfig config) throws IOException {
    Path out = new Path(config.out());
    boolean steps = fs.exists(out) && !MetricsLog.read(fs, out, MetricsLog.Kind.STEPS).isEmpty();
    assertTrue(!steps, config.out() + ": refused before step one");
  }

  /**
   * A checkpoint exports with the weights evaluation uses (EMA here) and the run's class wnids, and
   * ONNX Runtime computes what DL4J computes with those weights.
   */
  @Test
  void aCheckpointExportsToOnnxWithItsEmaWeightsAndClasses() throws IOException {
    TrainConfig config = fixture.config("export", "epochs = 2", "ema-decay = 0.9");
    Trainer.run(fixture.spark, config, false);
    CheckpointExport.Exported exported =
        CheckpointExport.export(
            fixture.spark.sparkContext().hadoopConfiguration(), config.out(), "auto", 2);
    assertEquals("ema", exported.weights());
    assertEquals(TrainingFixture.SPEC.classes1k(), exported.labels().size());
    assertTrue(exported.labels().get(0).matches("n\\d{8}"), exported.labels().toString());
    Checkpoints.Loaded loaded =
        Checkpoints.load(fs, Checkpoints.resolve(fs, new Path(config.out())), false);
    assertTrue(
        loaded.ema().sub(loaded.network().params()).amaxNumber().doubleValue() > 0,
        "EMA and raw weights differ, so the test can tell them apart");
    ComputationGraph ema = loaded.network();
    ema.setParams(loaded.ema());
    INDArray images = Nd4j.randn(DataType.FLOAT, 2, 3, 32, 32);
    INDArray onnx;
    try (OnnxRuntimeModel model = OnnxRuntimeModel.load(exported.model().toByteArray(), 1)) {
      onnx = model.probabilities(images);
    }
    assertTrue(ema.outputSingle(false, images).sub(onnx).amaxNumber().doubleValue() < 1e-4);
  }

  /**
   * A run that crashes mid-epoch and is resumed ends where an uninterrupted run ends: the same
   * schedule position and learning rate, one metrics line per step, and the same parameters (the
   * data order, augmentation and averaging are deterministic; dropout is off here, whose random
   * masks are not restored).
   */
  @Test
  void aResumedRunContinuesExactlyWhereItStopped() throws IOException {
    String[] settings = {"epochs = 2", "checkpoint.every-rounds = 3", "checkpoint.keep = 10"};
    TrainConfig straight = fixture.config("straight", settings);
    TrainingSummary whole = Trainer.run(fixture.spark, straight, false, s -> {});

    TrainConfig crashing = fixture.config("crashing", settings);
    RuntimeException crash =
        assertThrows(
            RuntimeException.class,
            () ->
                Trainer.run(
                    fixture.spark,
                    crashing,
                    false,
                    s -> {
                      // epoch 2, after a checkpoint at round 3 and one more round of metrics
                      if (s.epoch() == 1 && s.round() == 4) {
                        throw new IllegalStateException("simulated crash");
                      }
                    }));
    assertEquals("simulated crash", crash.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Trainer.run(fixture.spark, crashing, false),
        "a second start without --resume must refuse the existing checkpoints");
    TrainingSummary resumed = Trainer.run(fixture.spark, crashing, true);

    assertEquals(whole.state().iteration(), resumed.state().iteration());
    assertEquals(whole.state().images(), resumed.state().images());
    assertEquals(2, resumed.state().starts());
    List<Map<String, Object>> steps =
        MetricsLog.read(fs, new Path(crashing.out()), MetricsLog.Kind.STEPS);
    List<Map<String, Object>> wholeSteps =
        MetricsLog.read(fs, new Path(straight.out()), MetricsLog.Kind.STEPS);
    assertEquals(whole.state().iteration(), steps.size());
    for (int i = 0; i < steps.size(); i++) {
      assertEquals(i + 1, ((Number) steps.get(i).get("iteration")).intValue());
      assertEquals(
          ((Number) wholeSteps.get(i).get("lr")).doubleValue(),
          ((Number) steps.get(i).get("lr")).doubleValue(),
          1e-15);
      assertEquals(
          ((Number) wholeSteps.get(i).get("loss")).doubleValue(),
          ((Number) steps.get(i).get("loss")).doubleValue(),
          1e-4,
          "loss at step " + (i + 1));
    }
    var a = Checkpoints.load(fs, whole.checkpoint(), false).network().params();
    var b = Checkpoints.load(fs, resumed.checkpoint(), false).network().params();
    double diff = a.sub(b).amaxNumber().doubleValue();
    System.out.println("max |param difference| straight vs resumed: " + diff);
    assertTrue(diff < 1e-4, "parameters differ by " + diff);
  }

  /**
   * A learning rate warming up to 1e30 blows the run up after some good rounds: it stops with a
   * clear message and the checkpoints written before stay loadable and finite.
   */
  @Test
  void aDivergingRunStopsAndLeavesTheLastGoodCheckpoint() throws IOException {
    TrainConfig config =
        fixture.config(
            "diverging",
            "epochs = 2",
            "optimizer.lr = 1e30",
            "schedule.warmup-epochs = 1",
            "averaging-frequency = 1",
            "checkpoint.every-rounds = 1");
    TrainingDivergedException e =
        assertThrows(
            TrainingDivergedException.class, () -> Trainer.run(fixture.spark, config, false));
    assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
    assertTrue(e.getMessage().contains("last checkpoint"), e.getMessage());
    Path latest = new Checkpoints(fs, new Path(config.out())).latest();
    assertTrue(latest != null, "a checkpoint from before the divergence exists");
    Checkpoints.Loaded good = Checkpoints.load(fs, latest, true);
    double largest = good.network().params().amaxNumber().doubleValue();
    assertTrue(Double.isFinite(largest), "checkpoint parameters are finite");
  }

  /**
   * Two runs on one train.out: while another process holds it, a second run is refused and leaves
   * the first one's files (a temporary checkpoint here) alone; once that process is killed, the run
   * takes the lock over and trains.
   */
  @Test
  void aSecondRunOnALockedOutputIsRefusedUntilTheHolderDies() throws Exception {
    TrainConfig config = fixture.config("locked", "epochs = 2");
    Path out = new Path(config.out());
    // what a first run has made by then: its marker, a temporary checkpoint, its lock
    Path theirs = new Path(out, "checkpoints/.tmp-" + UUID.randomUUID());
    fs.mkdirs(theirs);
    fs.create(new RunLayout(out).marker(), false).close();
    Process holder = OutputLockTest.holdInAnotherProcess(new RunLayout(out).lock());
    try {
      IllegalStateException refused =
          assertThrows(
              IllegalStateException.class, () -> Trainer.run(fixture.spark, config, false));
      assertTrue(refused.getMessage().contains("in use"), refused.getMessage());
      assertTrue(fs.exists(theirs), "the other run's temporary checkpoint is untouched");
      assertNothingTrained(config);
    } finally {
      holder.destroyForcibly().waitFor();
    }
    TrainingSummary trained = Trainer.run(fixture.spark, config, false);
    assertTrue(trained.state().iteration() > 0);
    assertTrue(!fs.exists(new RunLayout(out).lock()), "the lock is released");
  }

  /**
   * The newest checkpoint lost its completion marker (a copying rename cut short): resume falls
   * back to the one before and ends where an uninterrupted run ends, each step logged once.
   */
  @Test
  void resumeFallsBackPastACheckpointCutShort() throws IOException {
    String[] settings = {"epochs = 2", "checkpoint.every-rounds = 2", "checkpoint.keep = 10"};
    TrainConfig config = fixture.config("cut-short", settings);
    TrainingSummary whole = Trainer.run(fixture.spark, config, false);
    Checkpoints checkpoints = new Checkpoints(fs, new Path(config.out()));
    List<Path> saved = checkpoints.list();
    assertTrue(saved.size() >= 3, "checkpoints " + saved);
    Path cut = saved.get(saved.size() - 1);
    fs.delete(new Path(cut, Checkpoints.COMPLETE), false);
    fs.delete(new Path(cut, Checkpoints.EMA), false);

    TrainingSummary resumed = Trainer.run(fixture.spark, config, true);
    assertEquals(whole.state().iteration(), resumed.state().iteration());
    List<Map<String, Object>> steps =
        MetricsLog.read(fs, new Path(config.out()), MetricsLog.Kind.STEPS);
    assertEquals(whole.state().iteration(), steps.size(), "each step once");
    assertTrue(fs.exists(new Path(resumed.checkpoint(), Checkpoints.COMPLETE)));
  }

  /**
   * A resume that would change the data order or the meaning of a step is refused before any work,
   * naming each field that differs: the seed, the averaging frequency, and the data set (another
   * set with the same label space).
   */
  @Test
  void resumeRefusesAChangedRunNamingWhatChanged() throws IOException {
    String[] settings = {"epochs = 2", "checkpoint.every-rounds = 2"};
    TrainConfig config = fixture.config("fingerprint", settings);
    TrainingSummary first = Trainer.run(fixture.spark, config, false);
    Path out = new Path(config.out());
    long stepsBefore = MetricsLog.read(fs, out, MetricsLog.Kind.STEPS).size();

    TrainConfig changed =
        fixture.config("fingerprint", "epochs = 2", "seed = 7", "averaging-frequency = 2");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Trainer.run(fixture.spark, changed, true));
    assertTrue(e.getMessage().contains("seed ("), e.getMessage());
    assertTrue(e.getMessage().contains("averaging-frequency (4 -> 2)"), e.getMessage());

    // the restored network keeps its schedule and augmentation: a change would not be applied
    TrainConfig recipe =
        fixture.config(
            "fingerprint", "epochs = 2", "optimizer.lr = 0.002", "augment.scale-min = 0.3");
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Trainer.run(fixture.spark, recipe, true));
    assertTrue(e.getMessage().contains("optimizer.lr (0.005 -> 0.002)"), e.getMessage());
    assertTrue(e.getMessage().contains("augment.scale-min (0.5 -> 0.3)"), e.getMessage());

    TrainConfig otherData =
        fixture.config(
            "fingerprint", "epochs = 2", "data.path = \"" + fixture.val + "\"", "data.split = val");
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Trainer.run(fixture.spark, otherData, true));
    assertTrue(e.getMessage().contains("data rows ("), e.getMessage());
    assertEquals(stepsBefore, MetricsLog.read(fs, out, MetricsLog.Kind.STEPS).size());
    assertEquals(first.checkpoint(), new Checkpoints(fs, out).latest(), "nothing was written");

    TrainingSummary same = Trainer.run(fixture.spark, config, true);
    assertEquals(first.state().iteration(), same.state().iteration(), "the same run resumes");
  }

  /**
   * A fresh run writes train.conf and init.json and cleans temporaries in checkpoints/: a folder
   * that is not a pnet run is refused with its files untouched, and in a run's own folder only the
   * temporaries pnet names are removed.
   */
  @Test
  void aFolderThatIsNotAPnetRunIsRefusedAndOnlyPnetsTemporariesAreCleaned() throws IOException {
    java.nio.file.Path foreign = fixture.dir.resolve("users-folder");
    Files.createDirectories(foreign);
    Files.writeString(foreign.resolve(RunLayout.CONFIG), "mine");
    TrainConfig config = fixture.config("users-folder", "epochs = 2");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Trainer.run(fixture.spark, config, false));
    assertTrue(e.getMessage().contains("is not a pnet training run"), e.getMessage());
    assertEquals("mine", Files.readString(foreign.resolve(RunLayout.CONFIG)));
    assertEquals(1, Files.list(foreign).count(), "nothing written beside it");

    TrainConfig own = fixture.config("own-folder", "epochs = 2");
    Trainer.run(fixture.spark, own, false);
    java.nio.file.Path checkpoints = fixture.dir.resolve("own-folder").resolve("checkpoints");
    java.nio.file.Path notes = checkpoints.resolve(".tmp-notes");
    Files.writeString(notes, "mine");
    java.nio.file.Path crashed = checkpoints.resolve(".tmp-" + UUID.randomUUID());
    Files.createDirectories(crashed);
    TrainConfig longer = fixture.config("own-folder", "epochs = 2");
    Trainer.run(fixture.spark, longer, true);
    assertTrue(Files.exists(notes), "a user's file with a temporary-like name stays");
    assertTrue(!Files.exists(crashed), "pnet's own temporary is removed");
  }
}
