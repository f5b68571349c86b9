package org.parameternet.model.onnx;

import static org.parameternet.model.onnx.OnnxGraph.integer;
import static org.parameternet.model.onnx.OnnxGraph.ints;
import static org.parameternet.model.onnx.OnnxGraph.real;

import java.util.List;
import onnx.OnnxMl.AttributeProto;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.parameternet.model.Activation;
import org.parameternet.model.ConvOp;
import org.parameternet.model.FeatureShape;
import org.parameternet.model.GraphSink;
import org.parameternet.model.layers.DynamicConvParamInitializer;

/**
 * Plays {@link org.parameternet.model.GhostNetTopology} into ONNX operators. Each operation is
 * written from what the topology asks for (kernel, stride, padding, groups, the activation after
 * each BN), never from DL4J's layer configuration; only the weights are read from the network, by
 * the node names the topology gives both builders. Every node's output tensor carries the
 * topology's node name, so the ONNX graph's intermediates line up with DL4J's vertices.
 *
 * <p>A dynamic conv is routing (GlobalAveragePool, Gemm, Sigmoid), the fused kernels (MatMul of
 * alpha with the M x |W| expert matrix) and one Conv whose weight is that computed tensor, the
 * batch folded into the groups as timm's CondConv does. The group count then depends on the batch,
 * which ONNX attributes cannot express: the graph has a fixed batch size.
 */
final class OnnxGraphSink implements GraphSink<String> {
  static final String INPUT = "input";
  static final String LOGITS = "logits";
  static final String PROBABILITIES = "probabilities";
  private static final double BN_EPSILON = 1e-5;

  private final OnnxGraph graph;
  private final NetworkWeights weights;
  private final int batch;

  OnnxGraphSink(OnnxGraph graph, NetworkWeights weights, int batch) {
    this.graph = graph;
    this.weights = weights;
    this.batch = batch;
  }

  @Override
  public String input(FeatureShape shape) {
    graph.input(INPUT, batch, shape.channels(), shape.height(), shape.width());
    return INPUT;
  }

  @Override
  public String conv(String name, String input, FeatureShape in, ConvOp op) {
    if (op.isDynamic()) {
      return dynamicConv(name, input, in, op);
    }
    INDArray w = weights.get(name, DefaultParamInitializer.WEIGHT_KEY);
    if (op.isDepthwise()) {
      w = w.permute(2, 3, 0, 1); // DL4J keeps depthwise kernels as [kH, kW, C, 1]
    }
    String weight =
        graph.floats(
            name + "/W",
            w.dup('c')
                .reshape(new long[] {op.out(), op.in() / op.groups(), op.kernel(), op.kernel()}));
    List<String> inputs =
        op.bias()
            ? List.of(input, weight, graph.floats(name + "/b", flat(weights.get(name, "b"))))
            : List.of(input, weight);
    String out = activated(name, op.activation(), name + "/conv");
    graph.node("Conv", out, inputs, convAttributes(op, op.groups()));
    return activate(out, name, op.activation());
  }

  private String dynamicConv(String name, String input, FeatureShape in, ConvOp op) {
    String pooled = graph.node("GlobalAveragePool", name + "/route_pool", List.of(input));
    String flat = graph.node("Flatten", name + "/route_flat", List.of(pooled), integer("axis", 1));
    String routeWeight =
        graph.floats(
            name + "/RW", weights.get(name, DynamicConvParamInitializer.ROUTING_WEIGHT_KEY));
    String routeBias =
        graph.floats(
            name + "/Rb", flat(weights.get(name, DynamicConvParamInitializer.ROUTING_BIAS_KEY)));
    String logits =
        graph.node("Gemm", name + "/route_logits", List.of(flat, routeWeight, routeBias));
    String alpha = graph.node("Sigmoid", name + "/alpha", List.of(logits));
    String experts =
        graph.floats(name + "/experts", weights.get(name, DynamicConvParamInitializer.EXPERTS_KEY));
    String fused = graph.node("MatMul", name + "/fused", List.of(alpha, experts));
    long perGroupIn = op.in() / op.groups();
    String kernels =
        graph.node(
            "Reshape",
            name + "/kernels",
            List.of(
                fused,
                graph.int64s(
                    name + "/kernels_shape",
                    (long) batch * op.out(),
                    perGroupIn,
                    op.kernel(),
                    op.kernel())));
    FeatureShape outShape = op.outputShape(in);
    if (batch == 1) {
      return graph.node("Conv", name, List.of(input, kernels), convAttributes(op, op.groups()));
    }
    String folded =
        graph.node(
            "Reshape",
            name + "/folded",
            List.of(
                input,
                graph.int64s(
                    name + "/folded_shape",
                    1,
                    (long) batch * in.channels(),
                    in.height(),
                    in.width())));
    String conv =
        graph.node(
            "Conv",
            name + "/conv",
            List.of(folded, kernels),
            convAttributes(op, (long) op.groups() * batch));
    return graph.node(
        "Reshape",
        name,
        List.of(
            conv,
            graph.int64s(
                name + "/unfold_shape", batch, op.out(), outShape.height(), outShape.width())));
  }

  /** Never reached: {@link OnnxExport} writes a re-parameterised network's folded form. */
  @Override
  public String branchedConvBn(
      String name, String input, FeatureShape in, ConvOp op, Activation activation) {
    throw new IllegalStateException(
        name + ": branches are folded before export (RepConvFolding); this spec was not folded");
  }

  @Override
  public String batchNorm(String name, String input, FeatureShape shape, Activation activation) {
    List<String> inputs =
        List.of(
            input,
            graph.floats(
                name + "/gamma", flat(weights.get(name, BatchNormalizationParamInitializer.GAMMA))),
            graph.floats(
                name + "/beta", flat(weights.get(name, BatchNormalizationParamInitializer.BETA))),
            graph.floats(
                name + "/mean",
                flat(weights.get(name, BatchNormalizationParamInitializer.GLOBAL_MEAN))),
            graph.floats(name + "/var", flat(runningVariance(name))));
    String normalized = activated(name, activation, name + "/norm");
    graph.node("BatchNormalization", normalized, inputs, real("epsilon", BN_EPSILON));
    return activate(normalized, name, activation);
  }

  private INDArray runningVariance(String layer) {
    if (weights.has(layer, BatchNormalizationParamInitializer.GLOBAL_VAR)) {
      return weights.get(layer, BatchNormalizationParamInitializer.GLOBAL_VAR);
    }
    // DL4J's log-std parameterisation: var = (10^log10(std))^2
    INDArray log10Std = weights.get(layer, BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
    INDArray std =
        Transforms.pow(
            Nd4j.valueArrayOf(log10Std.shape(), 10.0, log10Std.dataType()), log10Std, false);
    return std.mul(std);
  }

  @Override
  public String concat(String name, String first, String second, FeatureShape out) {
    return graph.node("Concat", name, List.of(first, second), integer("axis", 1));
  }

  @Override
  public String add(String name, String first, String second, FeatureShape shape) {
    return graph.node("Add", name, List.of(first, second));
  }

  @Override
  public String globalAveragePool(String name, String input, FeatureShape in) {
    return graph.node("GlobalAveragePool", name, List.of(input));
  }

  @Override
  public String channelScale(String name, String features, String gate, FeatureShape shape) {
    return graph.node("Mul", name, List.of(features, gate));
  }

  @Override
  public String dense(String name, String input, int in, int out, Activation activation) {
    String flat = graph.node("Flatten", name + "/flat", List.of(input), integer("axis", 1));
    String linear = activated(name, activation, name + "/linear");
    gemm(linear, name, flat);
    return activate(linear, name, activation);
  }

  @Override
  public String classifier(String name, String input, int in, int classes, double dropout) {
    // Dropout is the identity at inference: nothing to export.
    gemm(LOGITS, name, input);
    graph.node("Softmax", PROBABILITIES, List.of(LOGITS), integer("axis", 1));
    graph.output(LOGITS, batch, classes);
    graph.output(PROBABILITIES, batch, classes);
    return LOGITS;
  }

  private void gemm(String output, String layer, String input) {
    String w = graph.floats(layer + "/W", weights.get(layer, DefaultParamInitializer.WEIGHT_KEY));
    String b =
        graph.floats(layer + "/b", flat(weights.get(layer, DefaultParamInitializer.BIAS_KEY)));
    graph.node("Gemm", output, List.of(input, w, b));
  }

  /** The name the pre-activation tensor gets: the node's own name when nothing follows it. */
  private static String activated(String name, Activation activation, String preActivation) {
    return activation == Activation.IDENTITY ? name : preActivation;
  }

  private String activate(String input, String name, Activation activation) {
    return switch (activation) {
      case IDENTITY -> input;
      case RELU -> graph.node("Relu", name, List.of(input));
      case HARD_SWISH -> graph.node("HardSwish", name, List.of(input));
        // relu6(x + 3) / 6 == clip(x / 6 + 0.5, 0, 1), which is ONNX's HardSigmoid with these
        // constants (its defaults, 0.2 and 0.5, are Keras's gate, not PyTorch's).
      case HARD_SIGMOID -> graph.node(
          "HardSigmoid", name, List.of(input), real("alpha", 1.0 / 6), real("beta", 0.5));
    };
  }

  private static AttributeProto[] convAttributes(ConvOp op, long groups) {
    return new AttributeProto[] {
      ints("kernel_shape", op.kernel(), op.kernel()),
      ints("strides", op.stride(), op.stride()),
      ints("pads", op.padding(), op.padding(), op.padding(), op.padding()),
      ints("dilations", 1, 1),
      integer("group", groups)
    };
  }

  private static INDArray flat(INDArray a) {
    return a.dup('c').reshape(new long[] {a.length()});
  }
}
