package org.parameternet.train;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.augment.AugmentOptions;
import org.parameternet.data.augment.ImageTransforms;
import org.parameternet.data.shards.LabeledImage;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardReader;
import org.parameternet.model.Natives;

/**
 * Distributed top-1 / top-5 of a network on one split of an ingested data set: row groups are
 * spread over the executors, each builds the network once from a broadcast of its configuration and
 * parameters and scores its images with the evaluation transform.
 */
public final class Evaluator {
  private Evaluator() {}

  public static EvaluationResult evaluate(
      SparkSession spark,
      ComputationGraphConfiguration conf,
      INDArray params,
      String dataset,
      String split,
      AugmentOptions augment,
      int batch)
      throws IOException {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration hadoop = sc.hadoopConfiguration();
    List<RowGroup> groups = TrainingData.rowGroups(sc, dataset, split);
    Broadcast<String> confJson = sc.broadcast(conf.toJson());
    // a copy: destroying a broadcast closes its driver-side value (INDArray is AutoCloseable)
    Broadcast<INDArray> weights = sc.broadcast(params.dup());
    HadoopConf hadoopConf = new HadoopConf(hadoop);
    int partitions = Math.max(1, Math.min(groups.size(), sc.defaultParallelism() * 4));
    try {
      sc.setJobDescription("evaluate " + dataset + " (" + split + ")");
      return sc.parallelize(groups, partitions)
          .mapPartitions(
              (Iterator<RowGroup> it) -> {
                List<EvaluationResult> out = new ArrayList<>();
                if (!it.hasNext()) {
                  return out.iterator();
                }
                Natives.useOneDnnHelpers();
                ComputationGraph net =
                    new ComputationGraph(ComputationGraphConfiguration.fromJson(confJson.value()));
                net.init(weights.value().dup(), false);
                ImageTransforms transforms = new ImageTransforms(augment);
                EvaluationResult total = EvaluationResult.EMPTY;
                while (it.hasNext()) {
                  RowGroup g = it.next();
                  List<LabeledImage> rows = ShardReader.readAll(hadoopConf.get(), g);
                  for (int from = 0; from < rows.size(); from += batch) {
                    total =
                        total.plus(
                            score(
                                net,
                                transforms,
                                rows.subList(from, Math.min(rows.size(), from + batch))));
                  }
                }
                out.add(total);
                return out.iterator();
              })
          .fold(EvaluationResult.EMPTY, EvaluationResult::plus);
    } finally {
      confJson.destroy();
      weights.destroy();
    }
  }

  static EvaluationResult score(
      ComputationGraph net, ImageTransforms transforms, List<LabeledImage> rows) {
    int n = rows.size();
    int size = transforms.imageSize();
    int res = transforms.resolution();
    float[] features = new float[n * size];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      transforms.eval(rows.get(i).encoded(), features, i * size);
      labels[i] = rows.get(i).label();
    }
    INDArray probabilities =
        net.outputSingle(false, Nd4j.create(features, new long[] {n, 3, res, res}));
    long[] hits = TopK.hits(probabilities, labels);
    double loss = 0;
    for (int i = 0; i < n; i++) {
      loss -= Math.log(Math.max(1e-12, probabilities.getDouble(i, labels[i])));
    }
    return new EvaluationResult(n, hits[0], hits[1], loss);
  }
}
