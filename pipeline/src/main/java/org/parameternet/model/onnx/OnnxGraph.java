package org.parameternet.model.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import onnx.OnnxMl.AttributeProto;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.TensorProto;
import onnx.OnnxMl.TensorShapeProto;
import onnx.OnnxMl.TypeProto;
import onnx.OnnxMl.ValueInfoProto;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.protobuf.ByteString;

/**
 * A thin builder over ONNX's generated {@link GraphProto}: nodes with typed attributes, float
 * initializers from ND4J arrays, int64 shape constants. Names are tensor names; a node is named
 * after its output.
 */
final class OnnxGraph {
  private final GraphProto.Builder graph = GraphProto.newBuilder();

  OnnxGraph(String name) {
    graph.setName(name);
  }

  /** Adds {@code op(inputs) -> output} and returns the output's name. */
  String node(String op, String output, List<String> inputs, AttributeProto... attributes) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output);
    inputs.forEach(node::addInput);
    for (AttributeProto attribute : attributes) {
      node.addAttribute(attribute);
    }
    graph.addNode(node);
    return output;
  }

  /** A float32 initializer holding {@code values} in C order with their shape. */
  String floats(String name, INDArray values) {
    INDArray c = values.castTo(DataType.FLOAT).dup('c');
    float[] data = c.data().asFloat();
    ByteBuffer bytes =
        ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(data);
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.FLOAT.getNumber())
            .setRawData(ByteString.copyFrom(bytes.array()));
    for (long d : c.shape()) {
      tensor.addDims(d);
    }
    graph.addInitializer(tensor);
    return name;
  }

  /** A 1-D int64 initializer, for Reshape targets. */
  String int64s(String name, long... values) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(TensorProto.DataType.INT64.getNumber())
            .addDims(values.length);
    for (long v : values) {
      tensor.addInt64Data(v);
    }
    graph.addInitializer(tensor);
    return name;
  }

  void input(String name, long... shape) {
    graph.addInput(floatValue(name, shape));
  }

  /** A graph output; an empty shape leaves the shape to the runtime (named intermediates). */
  void output(String name, long... shape) {
    graph.addOutput(floatValue(name, shape));
  }

  GraphProto build() {
    return graph.build();
  }

  static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  static AttributeProto integer(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  static AttributeProto real(String name, double value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.FLOAT)
        .setF((float) value)
        .build();
  }

  private static ValueInfoProto floatValue(String name, long... shape) {
    TypeProto.Tensor.Builder tensor =
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber());
    if (shape.length > 0) {
      TensorShapeProto.Builder dims = TensorShapeProto.newBuilder();
      for (long d : shape) {
        dims.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
      }
      tensor.setShape(dims);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(tensor))
        .build();
  }
}
