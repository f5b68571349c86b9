package org.parameternet.train;

import java.util.UUID;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;

/**
 * DL4J's parameter averaging with one change: workers keep their networks between rounds ({@link
 * ResidentNetworkWorker}) instead of rebuilding one from the broadcast every round. Broadcast,
 * per-worker training, aggregation and averaging are DL4J's.
 */
public final class ResidentNetworkTrainingMaster extends ParameterAveragingTrainingMaster {
  /** Networks built for one master's rounds are reusable in later rounds of that master only. */
  private final String runKey = UUID.randomUUID().toString();

  /** The last round's broadcast, released when the next round starts. */
  private transient Broadcast<NetBroadcastTuple> previous;

  private ResidentNetworkTrainingMaster(Builder builder) {
    super(builder);
  }

  /**
   * The master the trainer and the benchmark use: {@code workers} workers, each fitting {@code
   * frequency} minibatches of {@code batchPerWorker} per round, Adam state averaged with the
   * parameters, the round's slices kept where the driver dealt them.
   */
  public static ResidentNetworkTrainingMaster create(
      int workers, int batchPerWorker, int frequency, int prefetch, long seed) {
    return new ResidentNetworkTrainingMaster(
        new Builder(workers, batchPerWorker)
            .batchSizePerWorker(batchPerWorker)
            .averagingFrequency(frequency)
            .workerPrefetchNumBatches(prefetch)
            .saveUpdater(true)
            .repartionData(Repartition.Never)
            .rngSeed(seed));
  }

  @Override
  public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
    if (collectTrainingStats || getRouterProvider() != null) {
      return super.getWorkerInstance(graph); // DL4J's statistics need its own worker path
    }
    NetBroadcastTuple tuple =
        new NetBroadcastTuple(
            graph.getNetwork().getConfiguration(),
            graph.getNetwork().params(),
            graph.getNetwork().getUpdater().getStateViewArray());
    // DL4J leaves each round's broadcast (parameters + Adam state) to Spark's GC-driven cleaner;
    // released here, a long run does not pile hundreds of MB per round into the block managers.
    if (previous != null) {
      previous.destroy();
    }
    Broadcast<NetBroadcastTuple> broadcast = graph.getSparkContext().broadcast(tuple);
    previous = broadcast;
    WorkerConfiguration configuration =
        new WorkerConfiguration(
            true,
            rddDataSetNumExamples,
            batchSizePerWorker,
            averagingFrequency,
            prefetchNumBatches,
            false);
    return new ResidentNetworkWorker(
        broadcast, saveUpdater, configuration, trainingHookList, listeners, runKey);
  }
}
