package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.IteratorDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardSlice;
import org.parameternet.model.Natives;

/**
 * The real training path (Trainer: Spark's training master, one worker, parameter averaging every
 * {@code averaging-frequency} steps, epoch plans, checkpoints) trains exactly as the same steps
 * fitted one after another on one network, which {@link StepParityTest} holds to PyTorch. A round
 * boundary that changed anything (the learning-rate step, Adam's state or bias correction, the
 * batch statistics) would show here.
 */
class TrainingPathParityTest {
  @TempDir static Path dir;
  static TrainingFixture fixture;

  @BeforeAll
  static void setUp() throws IOException {
    fixture = new TrainingFixture(dir);
  }

  @AfterAll
  static void tearDown() {
    fixture.close();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void oneWorkerOnSparkTrainsAsADirectLoop(int frequency) throws IOException {
    TrainConfig config =
        fixture.config(
            "path-f" + frequency,
            "train.epochs = 2",
            "train.workers = 1",
            "train.batch-per-worker = 32",
            "train.averaging-frequency = " + frequency,
            "train.data.val-path = \"\"",
            "train.augment.flip = 0.5");
    TrainingSummary summary = Trainer.run(fixture.spark, config, false);

    ComputationGraph direct = directRun(config);
    FileSystem fs =
        summary.checkpoint().getFileSystem(fixture.spark.sparkContext().hadoopConfiguration());
    ComputationGraph spark = Checkpoints.load(fs, summary.checkpoint(), true).network();
    assertEquals(direct.getIterationCount(), summary.state().iteration(), "steps");
    double moved = direct.params().sub(initial(config).params()).amaxNumber().doubleValue();
    assertTrue(moved > 1e-3, "the run trained (max change " + moved + ")");
    assertEquals(
        0, spark.params().sub(direct.params()).amaxNumber().doubleValue(), 1e-6, "parameters");
    INDArray sparkState = spark.getUpdater().getStateViewArray();
    INDArray directState = direct.getUpdater().getStateViewArray();
    assertEquals(0, sparkState.sub(directState).amaxNumber().doubleValue(), 1e-6, "Adam's state");
  }

  /**
   * The run's steps fitted in order on one network: each round's slices, re-batched as DL4J does.
   */
  private static ComputationGraph directRun(TrainConfig config) throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(fixture.spark.sparkContext());
    List<RowGroup> groups = TrainingData.rowGroups(sc, config.data().path(), config.data().split());
    int classes = TrainingData.classes(sc.hadoopConfiguration(), config.data().path());
    ShardDataSetLoader loader =
        new ShardDataSetLoader(
            config.augment(),
            classes,
            config.labelSmoothing(),
            new HadoopConf(sc.hadoopConfiguration()));
    ComputationGraph net = initial(config);
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      EpochPlan plan = TrainingRun.epochPlan(config, groups, epoch, 1);
      for (int r = 0; r < plan.rounds(); r++) {
        List<DataSet> loaded = new ArrayList<>();
        for (ShardSlice slice : plan.round(r)) {
          loaded.add(loader.load(slice));
        }
        var batches = new IteratorDataSetIterator(loaded.iterator(), config.batchPerWorker());
        int fitted = 0;
        while (batches.hasNext()) {
          net.fit(batches.next());
          fitted++;
        }
        assertEquals(plan.steps(r), fitted, "steps of round " + r);
      }
    }
    return net;
  }

  private static ComputationGraph initial(TrainConfig config) throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(fixture.spark.sparkContext());
    int classes = TrainingData.classes(sc.hadoopConfiguration(), config.data().path());
    List<RowGroup> groups = TrainingData.rowGroups(sc, config.data().path(), config.data().split());
    Natives.useOneDnnHelpers();
    return TrainingNetworks.create(
        config,
        config.spec(classes),
        Trainer.schedule(config, Trainer.totalSteps(config, groups, 1)));
  }
}
