package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.augment.AugmentOptions;
import org.parameternet.data.augment.ImageTransforms;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardReader;
import org.parameternet.data.shards.ShardSlice;

/** One averaging round with two workers leaves the driver with the mean of what they trained. */
class ParameterAveragingTest {
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

  /**
   * Two rounds with two workers: after each, the driver holds the mean of what two hand-trained
   * copies hold, parameters and Adam state alike. The second round runs on the networks the workers
   * kept from the first (resident networks), loaded with the averaged state.
   */
  @Test
  void theDriverHoldsTheMeanOfTheWorkersParametersAndAdamState() throws IOException {
    TrainConfig config = fixture.config("avg");
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(fixture.spark.sparkContext());
    List<RowGroup> groups = TrainingData.rowGroups(sc, config.data().path(), "train");
    RowGroup group = groups.get(0);
    List<List<ShardSlice>> rounds =
        List.of(
            List.of(new ShardSlice(group, 7, 0, 8), new ShardSlice(group, 7, 8, 16)),
            List.of(new ShardSlice(group, 7, 16, 24), new ShardSlice(group, 7, 24, 32)));
    int classes = TrainingData.classes(sc.hadoopConfiguration(), config.data().path());
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(0.005, 1e-6, 1e-5, 2, 10, 1.0);
    ComputationGraph initial = TrainingNetworks.create(config, config.spec(classes), schedule);
    ShardDataSetLoader loader =
        new ShardDataSetLoader(
            config.augment(), classes, 0.1, new HadoopConf(sc.hadoopConfiguration()));
    SparkComputationGraph spark =
        new SparkComputationGraph(
            sc, initial.clone(), ResidentNetworkTrainingMaster.create(2, 8, 1, 0, 1));
    long reusedBefore = ResidentNetworks.timesReusedForTests();

    ComputationGraph start = initial;
    for (int r = 0; r < rounds.size(); r++) {
      // what each worker does, by hand, from the driver's state at the start of the round
      INDArray sumParams = null;
      INDArray sumState = null;
      for (ShardSlice s : rounds.get(r)) {
        ComputationGraph worker = start.clone();
        worker.getConfiguration().setIterationCount(r); // clone() drops it (DL4J bug)
        worker.fit(loader.load(s));
        sumParams = sumParams == null ? worker.params().dup() : sumParams.addi(worker.params());
        INDArray state = worker.getUpdater().getStateViewArray();
        sumState = sumState == null ? state.dup() : sumState.addi(state);
      }

      spark.fitPaths(
          sc.parallelize(rounds.get(r).stream().map(ShardSlice::toDescriptor).toList(), 2), loader);

      INDArray expected = sumParams.divi(2);
      INDArray actual = spark.getNetwork().params();
      double moved = expected.sub(start.params()).amaxNumber().doubleValue();
      assertTrue(moved > 1e-4, "round " + r + ": the workers did train (max change " + moved + ")");
      assertEquals(
          0.0,
          expected.sub(actual).amaxNumber().doubleValue(),
          1e-6,
          "round " + r + ": driver parameters vs mean of the workers'");
      INDArray state = spark.getNetwork().getUpdater().getStateViewArray();
      assertEquals(
          0.0,
          sumState.divi(2).sub(state).amaxNumber().doubleValue(),
          1e-6,
          "round " + r + ": driver Adam state vs mean of the workers'");
      start = spark.getNetwork().clone();
    }
    assertEquals(
        2, ResidentNetworks.timesReusedForTests() - reusedBefore, "round 2 ran on kept networks");
  }

  /**
   * The distributed evaluation counts exactly what a loop on the driver counts: same images, same
   * transform, top-1 and top-5 by rank of the true class.
   */
  @Test
  void distributedEvaluationEqualsALoopOnTheDriver() throws IOException {
    TrainConfig config = fixture.config("eval");
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(fixture.spark.sparkContext());
    int classes = TrainingData.classes(sc.hadoopConfiguration(), config.data().valPath());
    ComputationGraph net =
        TrainingNetworks.create(
            config, config.spec(classes), new CosineWarmupSchedule(1e-3, 1e-3, 1e-3, 0, 10, 1.0));
    var eval = AugmentOptions.withoutAugmentation(32, 0.875);
    EvaluationResult distributed =
        Evaluator.evaluate(
            fixture.spark,
            net.getConfiguration(),
            net.params(),
            config.data().valPath(),
            "val",
            eval,
            7);

    var transforms = new ImageTransforms(eval);
    long images = 0;
    long top1 = 0;
    long top5 = 0;
    for (RowGroup g : TrainingData.rowGroups(sc, config.data().valPath(), "val")) {
      for (var row : ShardReader.readAll(sc.hadoopConfiguration(), g)) {
        float[] x = new float[transforms.imageSize()];
        transforms.eval(row.encoded(), x, 0);
        INDArray p = net.outputSingle(false, Nd4j.create(x, new long[] {1, 3, 32, 32}));
        int higher = 0;
        for (int k = 0; k < classes; k++) {
          if (p.getDouble(0, k) > p.getDouble(0, row.label())) {
            higher++;
          }
        }
        images++;
        top1 += higher < 1 ? 1 : 0;
        top5 += higher < 5 ? 1 : 0;
      }
    }
    assertEquals(
        (long) TrainingFixture.SPEC.classes1k() * TrainingFixture.SPEC.valPerClass(), images);
    assertEquals(images, distributed.images());
    assertEquals(top1, distributed.top1Hits());
    assertEquals(top5, distributed.top5Hits());
  }
}
