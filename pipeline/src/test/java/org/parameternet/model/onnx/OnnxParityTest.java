package org.parameternet.model.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import org.parameternet.testing.UnfusedBlocks;

/**
 * Holds the DL4J network to its spec: the same weights run through DL4J and through ONNX Runtime
 * (whose graph is written from the topology, not from DL4J's configuration) must agree. Named
 * intermediates are compared in network order, so a failure names the first node that differs.
 */
// looks inside the blocks by layer name
@ExtendWith(UnfusedBlocks.class)
class OnnxParityTest {
  private static final double RELATIVE_TOLERANCE = 1e-4;
  private static final int BATCH = 2;

  static Stream<String> variants() {
    return ModelRegistry.names().stream();
  }

  /** 32 halves evenly at every stride; 35 leaves odd sizes (35, 9, 5, 3) for the paddings. */
  static Stream<Arguments> variantsAndResolutions() {
    return variants().flatMap(v -> Stream.of(Arguments.of(v, 32), Arguments.of(v, 35)));
  }

  @ParameterizedTest
  @MethodSource("variantsAndResolutions")
  void dl4jAndOnnxRuntimeAgreeOnEveryVariant(String name, int resolution) {
    ModelSpec spec = ModelRegistry.get(name).withResolution(resolution).withClasses(100);
    ComputationGraph net = GhostNetBuilder.build(spec, 11);
    giveEveryParameterNonTrivialValues(net, 12);
    List<String> checked = checkedNodes(spec);
    byte[] onnx =
        OnnxExport.export(spec, net, new OnnxExport.Options(BATCH, checked, Map.of()))
            .toByteArray();

    Nd4j.getRandom().setSeed(13);
    INDArray images = Nd4j.randn(DataType.FLOAT, BATCH, 3, resolution, resolution);
    Map<String, INDArray> dl4j = net.feedForward(images, false);
    dl4j.put(OnnxExport.LOGITS, logits(net, dl4j.get("head_conv")));
    Set<String> wanted = new LinkedHashSet<>(checked);
    wanted.add(OnnxExport.LOGITS);
    Map<String, INDArray> ort;
    try (OnnxRuntimeModel model = OnnxRuntimeModel.load(onnx, 1)) {
      ort = model.run(images, wanted);
    }
    for (String node : wanted) {
      INDArray expected = ort.get(node);
      INDArray actual = dl4j.get(node).reshape(expected.shape());
      double scale = Math.max(expected.amaxNumber().doubleValue(), 1e-6);
      double error =
          actual
                  .castTo(DataType.DOUBLE)
                  .sub(expected.castTo(DataType.DOUBLE))
                  .amaxNumber()
                  .doubleValue()
              / scale;
      if (error > RELATIVE_TOLERANCE) {
        fail(
            name
                + "@"
                + resolution
                + ": DL4J and ONNX Runtime first differ at '"
                + node
                + "' (max |diff| / max |onnx| = "
                + error
                + ")");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("variants")
  void dynamicConvsAreRoutedFusedAndConvolvedInTheGraph(String name) {
    ModelSpec spec = ModelRegistry.get(name).withResolution(32).withClasses(10);
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    Set<String> ops =
        OnnxExport.operators(OnnxExport.export(spec, net, OnnxExport.Options.batch(1)));
    assertTrue(
        ops.containsAll(
            Set.of(
                "Conv",
                "BatchNormalization",
                "HardSwish",
                "HardSigmoid",
                "GlobalAveragePool",
                "Concat",
                "Add",
                "Mul",
                "Gemm",
                "Softmax")),
        name + ": " + ops);
    assertEquals(
        spec.experts() > 0,
        ops.containsAll(Set.of("Sigmoid", "MatMul", "Reshape")),
        name + ": " + ops);
  }

  /**
   * Stem, the first ghost module, every block's output, the last feature map, the head. A RepConv
   * network is compared where its training and folded forms name the same tensor: the export has
   * one conv + BN where DL4J has four branches, so a branched position's {@code _conv} and {@code
   * _bn} are branch 0's in DL4J.
   */
  private static List<String> checkedNodes(ModelSpec spec) {
    List<String> nodes = new ArrayList<>();
    if (!spec.isReparameterised()) {
      nodes.addAll(List.of("stem_conv", "stem_bn", "b0_ghost1_primary_bn"));
    }
    nodes.add("b0_ghost1_concat");
    for (int i = 0; i < spec.blocks().size(); i++) {
      nodes.add("b" + i + "_add");
    }
    if (!spec.isReparameterised()) {
      nodes.add("final_bn");
    }
    nodes.addAll(List.of("head_pool", "head_conv"));
    return nodes;
  }

  /** Every parameter random, BN running statistics included (var positive), so none is inert. */
  static void giveEveryParameterNonTrivialValues(ComputationGraph net, long seed) {
    Nd4j.getRandom().setSeed(seed);
    for (Layer layer : net.getLayers()) {
      for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
        INDArray value = p.getValue();
        switch (p.getKey()) {
          case BatchNormalizationParamInitializer.GAMMA -> value.assign(uniform(value, 0.6, 1.4));
          case BatchNormalizationParamInitializer.BETA -> value.assign(uniform(value, -0.3, 0.3));
          case BatchNormalizationParamInitializer.GLOBAL_MEAN -> value.assign(
              uniform(value, -0.2, 0.2));
          case BatchNormalizationParamInitializer.GLOBAL_VAR -> value.assign(
              uniform(value, 0.5, 2.0));
          case BatchNormalizationParamInitializer.GLOBAL_LOG_STD -> value.assign(
              uniform(value, -0.15, 0.15));
          case "b", "Rb" -> value.assign(uniform(value, -0.2, 0.2));
          default -> {} // weights keep their (PyTorch-like) initialisation
        }
      }
    }
  }

  private static INDArray uniform(INDArray like, double low, double high) {
    return Nd4j.rand(like.dataType(), like.shape()).muli(high - low).addi(low);
  }

  private static INDArray logits(ComputationGraph net, INDArray head) {
    Layer classifier = net.getLayer(GhostNetBuilder.OUTPUT);
    INDArray w = classifier.getParam("W");
    INDArray b = classifier.getParam("b");
    return head.reshape(head.size(0), w.size(0)).mmul(w).addRowVector(b);
  }
}
