package org.parameternet.train;

import com.typesafe.config.Config;
import java.io.IOException;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.data.augment.AugmentOptions;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.Natives;

/**
 * Evaluates a training checkpoint on an ingested data set: distributed top-1/top-5 with the
 * evaluation transform at the training resolution, EMA weights when the checkpoint has them (or as
 * asked), plus the driver's forward throughput at a batch. Also says what the model was trained on,
 * from the run's own records.
 */
public final class CheckpointEvaluation {
  private CheckpointEvaluation() {}

  /**
   * @param pretrainData the data set the run (or the run it was finetuned from) trained on
   * @param finetuneData the data set a finetuning run trained on, empty for other runs
   */
  public record Outcome(
      ModelSpec spec,
      Path checkpoint,
      TrainingState state,
      EvaluationResult result,
      String weights,
      double imagesPerSecond,
      String pretrainData,
      String finetuneData) {}

  public static Outcome run(
      SparkSession spark,
      String checkpointOrRun,
      String data,
      String split,
      String weights,
      int batch)
      throws IOException {
    Path given = new Path(checkpointOrRun);
    FileSystem fs = given.getFileSystem(spark.sparkContext().hadoopConfiguration());
    Path checkpoint = Checkpoints.resolve(fs, given);
    Natives.useOneDnnHelpers();
    Checkpoints.Loaded loaded = Checkpoints.load(fs, checkpoint, false);
    Config train = loaded.train();
    String used = loaded.weights(weights);
    ComputationGraph net = loaded.network();
    INDArray params = loaded.parameters(used);
    ModelSpec spec = loaded.spec();
    int resolution = spec.resolution();
    requireTrainedLabels(spark, loaded, data, split);
    AugmentOptions eval =
        AugmentOptions.withoutAugmentation(resolution, train.getDouble("augment.eval-crop"));
    EvaluationResult result =
        Evaluator.evaluate(spark, net.getConfiguration(), params, data, split, eval, batch);

    TrainedOn trainedOn = trainedOn(fs, checkpoint, train);
    return new Outcome(
        spec,
        checkpoint,
        loaded.state(),
        result,
        used,
        throughput(net, resolution, batch),
        trainedOn.pretrainData(),
        trainedOn.finetuneData());
  }

  /**
   * Refuses data of another label space: the classifier's outputs would be read as the wrong
   * classes and the accuracy would mean nothing.
   */
  private static void requireTrainedLabels(
      SparkSession spark, Checkpoints.Loaded loaded, String data, String split) throws IOException {
    int dataClasses = TrainingData.classes(spark.sparkContext().hadoopConfiguration(), data);
    if (dataClasses != loaded.state().classes()) {
      throw new IllegalArgumentException(
          data
              + " has "
              + dataClasses
              + " classes but the checkpoint's classifier has "
              + loaded.state().classes()
              + ": evaluate on data of the label space it was trained for");
    }
    String trainedOn = loaded.train().getString("data.path");
    // the run's data may have moved since
    if (DatasetLayout.isDataset(
        new Path(trainedOn).getFileSystem(spark.sparkContext().hadoopConfiguration()),
        new Path(trainedOn))) {
      TrainingData.requireSameLabelSpace(
          spark.sparkContext().hadoopConfiguration(),
          trainedOn,
          data,
          split,
          "the evaluation data");
    }
  }

  private record TrainedOn(String pretrainData, String finetuneData) {}

  /** The run's data; for a finetuning run, the data of the run it started from as well. */
  private static TrainedOn trainedOn(FileSystem fs, Path checkpoint, Config train)
      throws IOException {
    String trainData = train.getString("data.path");
    Optional<RunLayout.Init> init = RunLayout.ofCheckpoint(checkpoint).readInit(fs);
    return init.isPresent()
        ? new TrainedOn(init.get().pretrainData(), trainData)
        : new TrainedOn(trainData, "");
  }

  /** Forward passes per second on the driver at {@code batch}, after warm-up. */
  private static double throughput(ComputationGraph net, int resolution, int batch) {
    INDArray input = Nd4j.rand(DataType.FLOAT, batch, 3, resolution, resolution);
    for (int i = 0; i < 2; i++) {
      net.outputSingle(false, input);
    }
    int runs = 5;
    long t0 = System.nanoTime();
    for (int i = 0; i < runs; i++) {
      net.outputSingle(false, input);
    }
    return runs * batch / ((System.nanoTime() - t0) / 1e9);
  }
}
