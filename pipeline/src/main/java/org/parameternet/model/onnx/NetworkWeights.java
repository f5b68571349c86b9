package org.parameternet.model.onnx;

import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.model.layers.NativeBottleneck;

/**
 * A network's parameters by topology node name and DL4J parameter key. A native bottleneck
 * (-Dpnet.kernels=native-blocks) holds its unfused layers' parameters under hyphenated keys of its
 * own ({@code b3_ghost1-primary-conv-W} for layer {@code b3_ghost1_primary_conv}'s {@code W}), so a
 * node the graph has no layer for is looked up there.
 */
final class NetworkWeights {
  private final ComputationGraph net;
  private Map<String, INDArray> insideNativeBlocks;

  NetworkWeights(ComputationGraph net) {
    this.net = net;
  }

  boolean has(String layer, String key) {
    Layer found = layerOrNull(layer);
    return found != null
        ? found.paramTable().containsKey(key)
        : nativeBlockParameters().containsKey(layer + "_" + key);
  }

  INDArray get(String layer, String key) {
    Layer found = layerOrNull(layer);
    INDArray value =
        found != null
            ? found.paramTable().get(key)
            : nativeBlockParameters().get(layer + "_" + key);
    if (value == null) {
      throw new IllegalArgumentException(
          found == null
              ? "the network has no layer '" + layer + "': it was not built from this model spec"
              : "layer '"
                  + layer
                  + "' has no parameter '"
                  + key
                  + "'; it has "
                  + found.paramTable().keySet());
    }
    return value;
  }

  /** The graph's layer of that name; null where there is none (DL4J's getLayer throws). */
  private Layer layerOrNull(String name) {
    GraphVertex vertex = net.getVertex(name);
    return vertex != null && vertex.hasLayer() ? vertex.getLayer() : null;
  }

  /**
   * The native blocks' parameters by their unfused graph keys ({@code b3_ghost1_primary_conv_W}).
   */
  private Map<String, INDArray> nativeBlockParameters() {
    if (insideNativeBlocks == null) {
      insideNativeBlocks = new HashMap<>();
      net.paramTable()
          .forEach(
              (key, value) -> {
                if (key.indexOf('-') >= 0) {
                  insideNativeBlocks.put(NativeBottleneck.unfusedKey(key), value);
                }
              });
    }
    return insideNativeBlocks;
  }
}
