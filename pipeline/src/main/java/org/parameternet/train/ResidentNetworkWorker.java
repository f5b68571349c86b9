package org.parameternet.train;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A parameter-averaging worker that takes an idle network of its run from this JVM's {@link
 * ResidentNetworks} and loads the broadcast parameters and updater state into it, instead of
 * building a network per round (about a second per round for the 600M-FLOPs models).
 */
final class ResidentNetworkWorker extends ParameterAveragingTrainingWorker {
  private final Broadcast<NetBroadcastTuple> broadcast;
  private final List<TrainingListener> listeners;
  private final String runKey;

  ResidentNetworkWorker(
      Broadcast<NetBroadcastTuple> broadcast,
      boolean saveUpdater,
      WorkerConfiguration configuration,
      Collection<TrainingHook> hooks,
      Collection<TrainingListener> listeners,
      String runKey) {
    super(broadcast, saveUpdater, configuration, hooks, listeners, null);
    this.broadcast = broadcast;
    this.listeners = listeners == null ? List.of() : new ArrayList<>(listeners);
    this.runKey = runKey;
  }

  @Override
  public ComputationGraph getInitialModelGraph() {
    ComputationGraph net = ResidentNetworks.borrow(runKey);
    if (net == null) {
      // DL4J's worker builds the network and restores its updater state; a kept one has ours
      ComputationGraph built = super.getInitialModelGraph();
      FlatGradientUpdater.install(built);
      return built;
    }
    NetBroadcastTuple tuple = broadcast.getValue();
    net.params().assign(tuple.getParameters());
    INDArray state = tuple.getUpdaterState();
    if (state != null) {
      net.getUpdater().getStateViewArray().assign(state);
    }
    net.getConfiguration().setIterationCount(tuple.getGraphConfiguration().getIterationCount());
    net.getConfiguration().setEpochCount(tuple.getGraphConfiguration().getEpochCount());
    net.setListeners(new ArrayList<>(listeners));
    return net;
  }

  /**
   * The result shares the network's parameter and updater arrays, and the network goes back to the
   * pool now. Nothing can borrow it before Spark has serialized the result: the executor frees the
   * task's slot only after serializing, and the next round starts only after the driver has
   * averaged this one.
   */
  @Override
  public ParameterAveragingTrainingResult getFinalResult(ComputationGraph network) {
    ParameterAveragingTrainingResult result = super.getFinalResult(network);
    ResidentNetworks.giveBack(runKey, network);
    return result;
  }
}
