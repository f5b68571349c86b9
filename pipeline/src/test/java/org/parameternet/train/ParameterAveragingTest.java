package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardSlice;

/** One averaging round with two workers leaves the driver with the mean of what they trained. */
class ParameterAveragingTest {
  @TempDir static java.nio.file.Path dir;
  static TrainingFixture fixture;

  @BeforeAll
  static void setUp() throws IOException {
    fixture = new TrainingFixture(dir);
  }

  @AfterAll
  static void tearDown() {
    fixture.close();
  }

  @Test
  void theDriverHoldsTheMeanOfTheWorkersParametersAndAdamState() throws IOException {
    TrainConfig config = fixture.config("avg");
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(fixture.spark.sparkContext());
    List<RowGroup> groups = TrainingData.rowGroups(sc, config.dataPath(), "train");
    RowGroup group = groups.get(0);
    List<ShardSlice> slices =
        List.of(new ShardSlice(group, 7, 0, 8), new ShardSlice(group, 7, 8, 16));
    int classes = TrainingData.classes(sc.hadoopConfiguration(), config.dataPath());
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(0.005, 1e-6, 1e-5, 2, 10, 1.0);
    ComputationGraph initial = TrainingNetworks.create(config, config.spec(classes), schedule);
    ShardDataSetLoader loader =
        new ShardDataSetLoader(
            config.augment(), classes, 0.1, new HadoopConf(sc.hadoopConfiguration()));

    // what each worker does, by hand
    INDArray sumParams = null;
    INDArray sumState = null;
    for (ShardSlice s : slices) {
      ComputationGraph worker = initial.clone();
      worker.fit(loader.load(s));
      sumParams = sumParams == null ? worker.params().dup() : sumParams.addi(worker.params());
      INDArray state = worker.getUpdater().getStateViewArray();
      sumState = sumState == null ? state.dup() : sumState.addi(state);
    }

    ParameterAveragingTrainingMaster master =
        new ParameterAveragingTrainingMaster.Builder(2, 8)
            .batchSizePerWorker(8)
            .averagingFrequency(1)
            .saveUpdater(true)
            .repartionData(Repartition.Never)
            .build();
    SparkComputationGraph spark = new SparkComputationGraph(sc, initial.clone(), master);
    spark.fitPaths(
        sc.parallelize(slices.stream().map(ShardSlice::toDescriptor).toList(), 2), loader);

    INDArray expected = sumParams.divi(2);
    INDArray actual = spark.getNetwork().params();
    double diff = expected.sub(actual).amaxNumber().doubleValue();
    double moved = expected.sub(initial.params()).amaxNumber().doubleValue();
    assertTrue(moved > 1e-4, "the workers did train (max change " + moved + ")");
    assertEquals(0.0, diff, 1e-6, "driver parameters vs mean of the workers'");
    INDArray state = spark.getNetwork().getUpdater().getStateViewArray();
    assertEquals(0.0, sumState.divi(2).sub(state).amaxNumber().doubleValue(), 1e-6);
  }

  /**
   * The distributed evaluation counts exactly what a loop on the driver counts: same images, same
   * transform, top-1 and top-5 by rank of the true class.
   */
  @Test
  void distributedEvaluationEqualsALoopOnTheDriver() throws IOException {
    TrainConfig config = fixture.config("eval");
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(fixture.spark.sparkContext());
    int classes = TrainingData.classes(sc.hadoopConfiguration(), config.valPath());
    ComputationGraph net =
        TrainingNetworks.create(
            config, config.spec(classes), new CosineWarmupSchedule(1e-3, 1e-3, 1e-3, 0, 10, 1.0));
    var eval = new org.parameternet.data.augment.AugmentOptions(32, 1, 1, 1, 1, 0, "", 0, 0.875);
    EvaluationResult distributed =
        Evaluator.evaluate(
            fixture.spark, net.getConfiguration(), net.params(), config.valPath(), "val", eval, 7);

    var transforms = new org.parameternet.data.augment.ImageTransforms(eval);
    long images = 0;
    long top1 = 0;
    long top5 = 0;
    for (RowGroup g : TrainingData.rowGroups(sc, config.valPath(), "val")) {
      for (var row :
          org.parameternet.data.shards.ShardReader.readAll(sc.hadoopConfiguration(), g)) {
        float[] x = new float[transforms.imageSize()];
        transforms.eval(row.encoded(), x, 0);
        INDArray p =
            net.outputSingle(
                false, org.nd4j.linalg.factory.Nd4j.create(x, new long[] {1, 3, 32, 32}));
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
