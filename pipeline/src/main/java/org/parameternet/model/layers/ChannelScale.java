package org.parameternet.model.layers;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.inputs.InvalidInputTypeException;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Graph vertex multiplying a feature map (B, C, H, W) by a per-channel gate (B, C, 1, 1): the
 * squeeze-excite multiply. DL4J's ElementWiseVertex does not broadcast.
 */
public class ChannelScale extends GraphVertex {

  @Override
  public ChannelScale clone() {
    return new ChannelScale();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelScale;
  }

  @Override
  public int hashCode() {
    return ChannelScale.class.hashCode();
  }

  @Override
  public long numParams(boolean backprop) {
    return 0;
  }

  @Override
  public int minVertexInputs() {
    return 2;
  }

  @Override
  public int maxVertexInputs() {
    return 2;
  }

  @Override
  public org.deeplearning4j.nn.graph.vertex.GraphVertex instantiate(
      ComputationGraph graph,
      String name,
      int idx,
      INDArray paramsView,
      boolean initializeParams,
      DataType networkDatatype) {
    return new ChannelScaleVertex(graph, name, idx, networkDatatype);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType... vertexInputs)
      throws InvalidInputTypeException {
    if (vertexInputs.length != 2
        || !(vertexInputs[0] instanceof InputType.InputTypeConvolutional features)
        || !(vertexInputs[1] instanceof InputType.InputTypeConvolutional gate)
        || features.getChannels() != gate.getChannels()
        || gate.getHeight() != 1
        || gate.getWidth() != 1) {
      throw new InvalidInputTypeException(
          "ChannelScale needs [features (C,H,W), gate (C,1,1)], got "
              + Arrays.toString(vertexInputs));
    }
    return features;
  }

  @Override
  public MemoryReport getMemoryReport(InputType... inputTypes) {
    InputType out = getOutputType(-1, inputTypes);
    return new LayerMemoryReport.Builder(null, ChannelScale.class, inputTypes[0], out)
        .standardMemory(0, 0)
        .workingMemory(0, 0, 0, 0)
        .cacheMemory(0, 0)
        .build();
  }
}
