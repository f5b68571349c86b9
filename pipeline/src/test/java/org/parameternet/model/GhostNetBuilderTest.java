package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.EnumSet;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.parameternet.model.cost.CostCounter;

class GhostNetBuilderTest {

  static Stream<String> variants() {
    return ModelRegistry.names().stream();
  }

  @ParameterizedTest
  @MethodSource("variants")
  void networkHasExactlyTheCountersParameters(String name) {
    ModelSpec spec = ModelRegistry.get(name);
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    assertEquals(CostCounter.count(spec).params(), TrainableParameters.count(net), name);
  }

  @ParameterizedTest
  @MethodSource("variants")
  void forwardPassGivesOneProbabilityRowPerImage(String name) {
    ModelSpec spec = ModelRegistry.get(name);
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    INDArray images = Nd4j.rand(DataType.FLOAT, 2, 3, spec.resolution(), spec.resolution());
    INDArray probabilities = net.outputSingle(false, images);
    assertArrayEquals(new long[] {2, spec.numClasses()}, probabilities.shape(), name);
    assertEquals(2.0, probabilities.sumNumber().doubleValue(), 1e-3, name);
  }

  @Test
  void smallVariantLearnsAFixedBatch() {
    ModelSpec spec = ModelRegistry.get("parameternet_micro_32").withClasses(10).withDropout(0);
    ComputationGraph net = GhostNetBuilder.build(spec, 3);
    Nd4j.getRandom().setSeed(3);
    INDArray images = Nd4j.rand(DataType.FLOAT, 16, 3, 32, 32);
    INDArray labels = Nd4j.zeros(DataType.FLOAT, 16, 10);
    for (int i = 0; i < 16; i++) {
      labels.putScalar(i, i % 10, 1.0);
    }
    DataSet batch = new DataSet(images, labels);
    double first = net.score(batch, true);
    for (int step = 0; step < 40; step++) {
      net.fit(batch);
    }
    double last = net.score(batch, true);
    assertTrue(last < 0.5 * first, "loss did not fall: " + first + " -> " + last);
  }

  @Test
  void survivesSerialisationWithItsCustomLayers() throws Exception {
    ModelSpec spec = ModelRegistry.get("parameternet_micro_32");
    ComputationGraph net = GhostNetBuilder.build(spec, 5);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, bytes, true);
    ComputationGraph restored =
        ModelSerializer.restoreComputationGraph(
            new ByteArrayInputStream(bytes.toByteArray()), true);
    assertEquals(net.getConfiguration().toJson(), restored.getConfiguration().toJson());
    INDArray images = Nd4j.rand(DataType.FLOAT, 3, 3, 32, 32);
    assertTrue(
        net.outputSingle(false, images).equalsWithEps(restored.outputSingle(false, images), 1e-6));
  }

  /** In inference a sample's prediction does not depend on the other images in the batch. */
  @Test
  void predictionsAreBatchInvariant() {
    ComputationGraph net = GhostNetBuilder.build(ModelRegistry.get("parameternet_micro_32"), 9);
    INDArray batch = Nd4j.rand(DataType.FLOAT, 4, 3, 32, 32);
    INDArray together = net.outputSingle(false, batch);
    INDArray alone = net.outputSingle(false, batch.slice(1).reshape(1, 3, 32, 32));
    assertTrue(together.getRow(1).equalsWithEps(alone.getRow(0), 1e-5));
  }

  /**
   * A whole (tiny) ParameterNet, double precision, against finite differences: covers the dynamic
   * convs in every role, BN, hardswish, the SE gate and channel scale, and the shortcuts.
   */
  /**
   * Dynamic convs (2 experts), and RepConv's branched conv + BN (3 branches; three blocks and two
   * entries per parameter array, as it has three times the arrays).
   */
  @ParameterizedTest
  @ValueSource(strings = {"dynamic", "branched"})
  void wholeNetworkGradientsMatchFiniteDifferences(String kind) {
    boolean dynamic = kind.equals("dynamic");
    ModelSpec.Builder builder =
        ModelSpec.builder("tiny", BlockTables.GHOSTNET_MICRO.subList(0, dynamic ? 5 : 3))
            .width(0.25);
    if (dynamic) {
      builder.dynamic(2, EnumSet.copyOf(ConvRole.PARAMETERNET_DYNAMIC));
    } else {
      builder.reparameterised(3, EnumSet.copyOf(ConvRole.PARAMETERNET_DYNAMIC));
    }
    ModelSpec tiny = builder.numClasses(3).resolution(12).dropout(0).widths(16, 64, 16).build();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      NeuralNetConfiguration.Builder base =
          new NeuralNetConfiguration.Builder()
              .seed(12)
              .dataType(DataType.DOUBLE)
              .updater(new NoOp())
              .convolutionMode(ConvolutionMode.Truncate);
      ComputationGraph net = new ComputationGraph(GhostNetBuilder.configuration(tiny, base));
      net.init();
      Nd4j.getRandom().setSeed(12);
      INDArray images = Nd4j.rand(DataType.DOUBLE, 4, 3, 12, 12).subi(0.5).muli(4);
      INDArray labels = Nd4j.zeros(DataType.DOUBLE, 4, 3);
      for (int i = 0; i < 4; i++) {
        labels.putScalar(i, i % 3, 1.0);
      }
      FiniteDifferences.Result result =
          FiniteDifferences.check(
              net, new DataSet(images, labels), dynamic ? 4 : 2, 1e-6, new Random(12));
      assertTrue(result.checked() > 300, "too few parameters checked: " + result.checked());
      assertTrue(
          result.failures().isEmpty(),
          result.failures().size() + " of " + result.checked() + " failed: " + result.failures());
    } finally {
      Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }
  }

  @Test
  void trainingSettingsComeFromTheCaller() {
    NeuralNetConfiguration.Builder base =
        new NeuralNetConfiguration.Builder().seed(1).updater(new Adam(0.123));
    String json =
        GhostNetBuilder.configuration(ModelRegistry.get("ghostnet_micro_32"), base).toJson();
    assertTrue(json.contains("0.123"), "updater settings lost");
  }
}
