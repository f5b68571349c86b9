package org.parameternet.model.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import onnx.OnnxMl.GraphProto;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.NodeProto;
import onnx.OnnxMl.OperatorSetIdProto;
import onnx.OnnxMl.StringStringEntryProto;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.parameternet.data.augment.Normalization;
import org.parameternet.model.GhostNetTopology;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.RepConvFolding;

/**
 * Exports a GhostNet / ParameterNet network to ONNX from its {@link ModelSpec}: the same topology
 * walk that builds the DL4J graph writes ONNX operators, with the network's weights and BN running
 * statistics. Input {@code input} is NCHW float32 RGB, normalised as in training; outputs are
 * {@code logits} and {@code probabilities} (softmax), then any requested intermediate. A
 * re-parameterised (RepConv) network is exported as deployed: its branches folded ({@link
 * RepConvFolding}), so the graph has GhostNet's shape, parameters and FLOPs.
 */
public final class OnnxExport {
  /** ONNX opset 17 (HardSwish needs 14); IR version 8 is what opset 17 ships with. */
  public static final int OPSET = 17;

  public static final long IR_VERSION = 8;
  public static final String PRODUCER = "parameternet-spark";
  public static final String INPUT = OnnxGraphSink.INPUT;
  public static final String LOGITS = OnnxGraphSink.LOGITS;
  public static final String PROBABILITIES = OnnxGraphSink.PROBABILITIES;

  /**
   * @param batch the graph's fixed batch size (dynamic convs fold the batch into conv groups)
   * @param intermediates topology node names to expose as extra outputs (e.g. {@code stem_bn})
   * @param metadata extra {@code metadata_props}, such as the class list of a checkpoint
   */
  public record Options(int batch, List<String> intermediates, Map<String, String> metadata) {
    public Options {
      if (batch < 1) {
        throw new IllegalArgumentException("batch must be >= 1, got " + batch);
      }
      intermediates = List.copyOf(intermediates);
      metadata = Map.copyOf(metadata);
    }

    public static Options batch(int batch) {
      return new Options(batch, List.of(), Map.of());
    }
  }

  private OnnxExport() {}

  public static ModelProto export(ModelSpec spec, ComputationGraph net, Options options) {
    OnnxGraph graph = new OnnxGraph(spec.name());
    GhostNetTopology.walk(
        spec.inferenceForm(),
        new OnnxGraphSink(
            graph, new NetworkWeights(RepConvFolding.fold(spec, net)), options.batch()));
    for (String name : options.intermediates()) {
      graph.output(name);
    }
    GraphProto built = graph.build();
    requireProduced(built, options.intermediates());
    ModelProto.Builder model =
        ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
            .setProducerName(PRODUCER)
            .setGraph(built);
    metadata(spec, options)
        .forEach(
            (k, v) ->
                model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return model.build();
  }

  private static Map<String, String> metadata(ModelSpec spec, Options options) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("pnet.model", spec.name());
    if (spec.isReparameterised()) {
      props.put("pnet.folded_branches", Integer.toString(spec.branches()));
    }
    props.put("pnet.resolution", Integer.toString(spec.resolution()));
    props.put("pnet.num_classes", Integer.toString(spec.numClasses()));
    props.put("pnet.input", "NCHW float32 RGB, (pixel / 255 - mean) / std");
    props.put("pnet.input_mean", join(Normalization.MEAN));
    props.put("pnet.input_std", join(Normalization.STD));
    props.putAll(options.metadata());
    return props;
  }

  private static void requireProduced(GraphProto graph, List<String> names) {
    Set<String> produced =
        graph.getNodeList().stream()
            .flatMap(n -> n.getOutputList().stream())
            .collect(Collectors.toSet());
    for (String name : names) {
      if (!produced.contains(name)) {
        throw new IllegalArgumentException(
            "no node named '"
                + name
                + "' in the exported graph; node names are the topology's"
                + " (stem_bn, b0_ghost1_concat, final_bn, head_conv, ...)");
      }
    }
  }

  private static String join(float[] values) {
    StringBuilder s = new StringBuilder();
    for (float v : values) {
      s.append(s.length() == 0 ? "" : ",").append(v);
    }
    return s.toString();
  }

  /** For callers that want the ops a graph uses (documentation, tests). */
  public static Set<String> operators(ModelProto model) {
    return model.getGraph().getNodeList().stream()
        .map(NodeProto::getOpType)
        .collect(Collectors.toCollection(TreeSet::new));
  }
}
