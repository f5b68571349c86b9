package org.parameternet.model.onnx;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A network's parameters by topology node name and DL4J parameter key. */
final class NetworkWeights {
  private final ComputationGraph net;

  NetworkWeights(ComputationGraph net) {
    this.net = net;
  }

  boolean has(String layer, String key) {
    return layer(layer).paramTable().containsKey(key);
  }

  INDArray get(String layer, String key) {
    INDArray value = layer(layer).paramTable().get(key);
    if (value == null) {
      throw new IllegalArgumentException(
          "layer '"
              + layer
              + "' has no parameter '"
              + key
              + "'; it has "
              + layer(layer).paramTable().keySet());
    }
    return value;
  }

  private Layer layer(String name) {
    Layer layer = net.getLayer(name);
    if (layer == null) {
      throw new IllegalArgumentException(
          "the network has no layer '" + name + "': it was not built from this model spec");
    }
    return layer;
  }
}
