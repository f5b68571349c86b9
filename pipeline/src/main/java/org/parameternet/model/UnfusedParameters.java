package org.parameternet.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.model.layers.NativeBottleneck;

/**
 * A network's parameters under the unfused graph's keys ({@code b3_ghost1_primary_conv_W}: layer
 * name, underscore, DL4J parameter key), whether its bottlenecks are native blocks or unfused
 * layers. A native block holds its unfused layers' parameters under hyphenated keys ({@link
 * NativeBottleneck#unfusedKey}), so code that matches parameters by name across networks (a
 * finetune's head transfer from a checkpoint of either kind) sees one naming.
 */
public final class UnfusedParameters {
  private UnfusedParameters() {}

  /** Every parameter of {@code net} (views), in the network's flat order, by unfused key. */
  public static Map<String, INDArray> of(ComputationGraph net) {
    Map<String, INDArray> byKey = new LinkedHashMap<>();
    net.paramTable().forEach((key, value) -> byKey.put(NativeBottleneck.unfusedKey(key), value));
    return byKey;
  }
}
