package org.parameternet.benchmark;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.aggregator.ParameterAveragingAggregationTuple;
import org.deeplearning4j.spark.impl.paramavg.aggregator.ParameterAveragingElementAddFunction;
import org.deeplearning4j.spark.impl.paramavg.aggregator.ParameterAveragingElementCombineFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.spark.SparkDefaults;
import scala.reflect.ClassTag$;

/**
 * What one parameter-averaging round costs per byte, on the round's own code path: the payload is a
 * network's parameters plus Adam state (3 floats a parameter), carried in DL4J's {@code
 * NetBroadcastTuple} and {@code ParameterAveragingTrainingResult}, serialised by Spark's Kryo with
 * pnet's registrator, aggregated by DL4J's add/combine functions in {@code treeAggregate} (depth 2,
 * as DL4J's master does). Measured for each parameter count, {@code repeats} times each:
 *
 * <ul>
 *   <li>{@code ser}, {@code deser}: Kryo of one result, on this JVM;
 *   <li>{@code add}, {@code divide}, {@code assign}: ND4J's in-place add of two payloads (the
 *       aggregation's arithmetic per result), the final division by the count, the copy into a
 *       resident network;
 *   <li>{@code broadcast}: {@code sc.broadcast} of the tuple plus a job whose tasks read it, minus
 *       the same job without it;
 *   <li>{@code aggregate}: a job whose tasks each produce a result and {@code treeAggregate} them,
 *       minus the same tasks with a {@code count}.
 * </ul>
 *
 * <p>Usage: {@code RoundCostProbe MASTER PARAMS_MILLIONS,... PARTITIONS REPEATS}, e.g. {@code
 * local[2] 2,8,34.5 2 3}. {@code tools/bench/round-cost.sh} runs it in local mode and on a
 * standalone cluster on 127.0.0.1. Prints one line per measurement (seconds), then per component a
 * line through the sizes' medians: fixed seconds and nanoseconds per payload byte.
 */
public final class RoundCostProbe {
  private RoundCostProbe() {}

  public static void main(String[] args) throws Exception {
    String master = args.length > 0 ? args[0] : "local[2]";
    double[] millions =
        Arrays.stream((args.length > 1 ? args[1] : "2,8,34.5").split(","))
            .mapToDouble(Double::parseDouble)
            .toArray();
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;

    SparkConf conf = new SparkConf().setMaster(master).setAppName("round-cost-probe");
    (master.startsWith("local") ? SparkDefaults.localMode() : SparkDefaults.anyMaster())
        .forEach(conf::setIfMissing);
    conf.setIfMissing("spark.ui.enabled", "false");
    JavaSparkContext sc = new JavaSparkContext(conf);
    SerializerInstance kryo = new KryoSerializer(conf).newInstance();
    String[] components = {"ser", "deser", "add", "divide", "assign", "broadcast", "aggregate"};
    double[][] medians = new double[components.length][millions.length];
    double[] bytes = new double[millions.length];
    try {
      warmUp(sc, kryo, partitions);
      for (int s = 0; s < millions.length; s++) {
        long n = Math.round(millions[s] * 1e6);
        bytes[s] = n * 3.0 * Float.BYTES;
        double[][] runs = new double[components.length][repeats];
        for (int r = 0; r < repeats; r++) {
          double[] one = measure(sc, kryo, n, partitions);
          for (int c = 0; c < components.length; c++) {
            runs[c][r] = one[c];
          }
        }
        for (int c = 0; c < components.length; c++) {
          medians[c][s] = median(runs[c]);
          System.out.printf(
              Locale.ROOT,
              "RESULT master=%s partitions=%d params=%.1fM bytes=%.0fMB %s %s%n",
              master,
              partitions,
              millions[s],
              bytes[s] / 1e6,
              components[c],
              Arrays.stream(runs[c])
                  .mapToObj(v -> String.format(Locale.ROOT, "%.3f", v))
                  .collect(Collectors.joining(" ")));
        }
      }
      for (int c = 0; c < components.length; c++) {
        double[] line = fit(bytes, medians[c]);
        System.out.printf(
            Locale.ROOT,
            "FIT master=%s partitions=%d %s fixed=%.3fs perByte=%.3fns (%.2f GB/s)%n",
            master,
            partitions,
            components[c],
            line[0],
            line[1] * 1e9,
            1 / line[1] / 1e9);
      }
    } finally {
      sc.stop();
    }
  }

  /** One of each measurement, in seconds, in the order of {@code components}. */
  private static double[] measure(JavaSparkContext sc, SerializerInstance kryo, long n, int parts)
      throws Exception {
    INDArray params = Nd4j.valueArrayOf(new long[] {1, n}, 1f);
    INDArray state = Nd4j.valueArrayOf(new long[] {1, 2 * n}, 0.5f);
    ParameterAveragingTrainingResult result = result(params, state);

    long t = System.nanoTime();
    ByteBuffer buffer = kryo.serialize(result, ClassTag$.MODULE$.apply(Object.class));
    double ser = seconds(t);
    t = System.nanoTime();
    ParameterAveragingTrainingResult back =
        kryo.deserialize(buffer, ClassTag$.MODULE$.apply(Object.class));
    double deser = seconds(t);
    buffer = null;

    t = System.nanoTime();
    back.getParameters().addi(params);
    back.getUpdaterState().addi(state);
    double add = seconds(t);
    t = System.nanoTime();
    back.getParameters().divi(2);
    back.getUpdaterState().divi(2);
    double divide = seconds(t);
    t = System.nanoTime();
    params.assign(back.getParameters());
    state.assign(back.getUpdaterState());
    double assign = seconds(t);
    back = null;

    JavaRDD<Integer> slots = sc.parallelize(IntStream.range(0, parts).boxed().toList(), parts);
    t = System.nanoTime();
    slots.map(i -> i).collect();
    double emptyJob = seconds(t);
    t = System.nanoTime();
    Broadcast<NetBroadcastTuple> bc = sc.broadcast(new NetBroadcastTuple(graph(), params, state));
    slots.map(i -> bc.getValue().getParameters().getFloat(0)).collect();
    double broadcast = seconds(t) - emptyJob;
    bc.destroy();

    JavaRDD<ParameterAveragingTrainingResult> results =
        slots.map(
            i ->
                result(
                    Nd4j.valueArrayOf(new long[] {1, n}, 1f),
                    Nd4j.valueArrayOf(new long[] {1, 2 * n}, 0.5f)));
    t = System.nanoTime();
    results.count();
    double produce = seconds(t);
    t = System.nanoTime();
    ParameterAveragingAggregationTuple sum =
        results.treeAggregate(
            null,
            new ParameterAveragingElementAddFunction(),
            new ParameterAveragingElementCombineFunction(),
            2);
    double aggregate = seconds(t) - produce;
    if (sum.getAggregationsCount() != parts || sum.getParametersSum().getFloat(0) != parts) {
      throw new IllegalStateException("aggregated " + sum.getAggregationsCount() + " results");
    }
    return new double[] {ser, deser, add, divide, assign, broadcast, aggregate};
  }

  private static ParameterAveragingTrainingResult result(INDArray params, INDArray state) {
    return new ParameterAveragingTrainingResult(
        params, state, 0.0, (SparkTrainingStats) null, null, null, null);
  }

  /** A real graph configuration (Java-serialised inside the tuple, a few KB as in training). */
  private static ComputationGraphConfiguration graph() {
    return new NeuralNetConfiguration.Builder()
        .graphBuilder()
        .addInputs("in")
        .addLayer("out", new OutputLayer.Builder().nIn(4).nOut(2).build(), "in")
        .setOutputs("out")
        .build();
  }

  /** Compiles the paths on small payloads so the first size's figures are not the JIT's. */
  private static void warmUp(JavaSparkContext sc, SerializerInstance kryo, int parts)
      throws Exception {
    for (int i = 0; i < 3; i++) {
      measure(sc, kryo, 250_000, parts);
    }
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** Least-squares line {@code y = a + b x}: {@code {a, b}}. */
  private static double[] fit(double[] x, double[] y) {
    int n = x.length;
    double mx = Arrays.stream(x).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double sxy = 0;
    double sxx = 0;
    for (int i = 0; i < n; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
    double b = sxx == 0 ? y[0] / x[0] : sxy / sxx;
    return new double[] {my - b * mx, b};
  }
}
