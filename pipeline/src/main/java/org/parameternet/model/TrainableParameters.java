package org.parameternet.model;

import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.model.layers.NativeBottleneck;

/** Counts a network's trainable parameters: DL4J also stores BN running statistics as params. */
public final class TrainableParameters {
  private static final Set<String> RUNNING_STATISTICS =
      Set.of(
          BatchNormalizationParamInitializer.GLOBAL_MEAN,
          BatchNormalizationParamInitializer.GLOBAL_VAR,
          BatchNormalizationParamInitializer.GLOBAL_LOG_STD);

  private TrainableParameters() {}

  public static long count(ComputationGraph net) {
    long total = 0;
    for (Layer layer : net.getLayers()) {
      boolean batchNorm = layer.conf().getLayer() instanceof BatchNormalization;
      boolean block = layer.conf().getLayer() instanceof NativeBottleneck;
      for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
        boolean running =
            batchNorm && RUNNING_STATISTICS.contains(p.getKey())
                || block && NativeBottleneck.isRunningStatistic(p.getKey());
        if (!running) {
          total += p.getValue().length();
        }
      }
    }
    return total;
  }
}
