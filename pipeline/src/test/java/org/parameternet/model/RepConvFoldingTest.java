package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import onnx.OnnxMl.ModelProto;
import onnx.OnnxMl.TensorProto;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.cost.CostCounter;
import org.parameternet.model.onnx.OnnxExport;

/**
 * RepConv's inference form: the folded network computes what the branched one computes in
 * evaluation mode, has GhostNet's shape and parameter count, and every branch keeps its own batch
 * statistics in training. (ONNX Runtime on the folded export is held to the branched DL4J network
 * for every registry model in {@code OnnxParityTest}.)
 */
class RepConvFoldingTest {
  private static final double RELATIVE_TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(ints = {1, 8})
  void foldedNetworkComputesWhatTheBranchesComputeInEvaluation(int batch) {
    ModelSpec spec = ModelRegistry.get("repconv_micro_32").withClasses(10);
    ComputationGraph net = trainedAFewSteps(spec);
    ComputationGraph folded = RepConvFolding.fold(spec, net);
    Nd4j.getRandom().setSeed(5);
    INDArray images = Nd4j.randn(DataType.FLOAT, batch, 3, 32, 32);
    INDArray expected = net.feedForward(images, false).get("head_conv");
    INDArray actual = folded.feedForward(images, false).get("head_conv");
    double scale = expected.amaxNumber().doubleValue();
    assertTrue(scale > 0.1, "a trivial head output proves nothing: " + scale);
    double error = actual.sub(expected).amaxNumber().doubleValue() / scale;
    assertTrue(error < RELATIVE_TOLERANCE, "folded differs by " + error + " (relative)");
  }

  @Test
  void foldedNetworkHasGhostNetsShapeAndParameterCount() {
    ModelSpec spec = ModelRegistry.get("repconv_300m").withResolution(32);
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    ComputationGraph folded = RepConvFolding.fold(spec, net);
    ModelSpec ghost = ModelRegistry.get("ghostnet_300m").withResolution(32);
    // the folded network keeps unfused layers (the folding writes them by name)
    assertEquals(
        GhostNetBuilder.buildUnfused(ghost, 1, DataType.FLOAT)
            .getConfiguration()
            .getVertices()
            .keySet(),
        folded.getConfiguration().getVertices().keySet());
    assertEquals(CostCounter.count(ghost).params(), TrainableParameters.count(folded));
    assertEquals(CostCounter.count(spec).inferenceParams(), TrainableParameters.count(folded));

    ModelProto onnx = OnnxExport.export(spec, net, OnnxExport.Options.batch(1));
    ModelProto ghostOnnx =
        OnnxExport.export(ghost, GhostNetBuilder.build(ghost, 1), OnnxExport.Options.batch(1));
    assertEquals(weightCount(ghostOnnx), weightCount(onnx));
    assertEquals(ghostOnnx.getGraph().getNodeCount(), onnx.getGraph().getNodeCount(), "node count");
    assertEquals(
        "4",
        onnx.getMetadataPropsList().stream()
            .filter(p -> p.getKey().equals("pnet.folded_branches"))
            .findFirst()
            .orElseThrow()
            .getValue());
  }

  @Test
  void eachBranchKeepsItsOwnBatchStatistics() {
    ModelSpec spec = ModelRegistry.get("repconv_micro_32").withClasses(10);
    ComputationGraph net = trainedAFewSteps(spec);
    Map<String, INDArray> stem0 = net.getLayer("stem_bn").paramTable();
    for (int branch = 1; branch < spec.branches(); branch++) {
      Map<String, INDArray> other =
          net.getLayer(GraphSink.branchPart("stem", branch, "bn")).paramTable();
      for (String key :
          new String[] {
            BatchNormalizationParamInitializer.GLOBAL_MEAN,
            BatchNormalizationParamInitializer.GLOBAL_VAR,
            BatchNormalizationParamInitializer.GAMMA
          }) {
        assertNotEquals(stem0.get(key), other.get(key), "branch " + branch + " " + key);
      }
    }
    assertNotEquals(
        Nd4j.zeros(
            DataType.FLOAT, stem0.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).shape()),
        stem0.get(BatchNormalizationParamInitializer.GLOBAL_MEAN),
        "running mean never updated");
  }

  @Test
  void aModelWithoutBranchesIsItsOwnInferenceForm() {
    ModelSpec spec = ModelRegistry.get("parameternet_micro_32");
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    assertSame(spec, spec.inferenceForm());
    assertSame(net, RepConvFolding.fold(spec, net));
  }

  /** A few Adam steps, so BN statistics and gammas move away from their initial values. */
  private static ComputationGraph trainedAFewSteps(ModelSpec spec) {
    ComputationGraph net = GhostNetBuilder.build(spec.withDropout(0), 3);
    Nd4j.getRandom().setSeed(4);
    INDArray images = Nd4j.randn(DataType.FLOAT, 16, 3, 32, 32);
    INDArray labels = Nd4j.zeros(DataType.FLOAT, 16, spec.numClasses());
    for (int i = 0; i < 16; i++) {
      labels.putScalar(i, i % spec.numClasses(), 1.0);
    }
    for (int step = 0; step < 5; step++) {
      net.fit(new DataSet(images, labels));
    }
    return net;
  }

  private static long weightCount(ModelProto model) {
    long count = 0;
    for (TensorProto t : model.getGraph().getInitializerList()) {
      if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
        long n = 1;
        for (long d : t.getDimsList()) {
          n *= d;
        }
        count += n;
      }
    }
    return count;
  }
}
