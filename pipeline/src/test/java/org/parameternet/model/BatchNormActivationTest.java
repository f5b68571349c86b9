package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.parameternet.model.layers.BatchNormActivation;

/** The BN + activation layer applies its activation, and moves its statistics as PyTorch does. */
class BatchNormActivationTest {
  private static final int CHANNELS = 3;

  /** float32 runs oneDNN's batch norm (helpers on); float64 too where oneDNN takes it. */
  static Stream<Arguments> activationsAndTypes() {
    return Stream.of(Activation.RELU, Activation.HARD_SWISH, Activation.IDENTITY)
        .flatMap(a -> Stream.of(Arguments.of(a, DataType.FLOAT), Arguments.of(a, DataType.DOUBLE)));
  }

  @ParameterizedTest
  @MethodSource("activationsAndTypes")
  void outputIsTheActivationOfTheNormInTrainingAndInference(Activation activation, DataType type) {
    ComputationGraph net =
        network(BatchNormActivation.of(CHANNELS, GhostNetBuilder.activation(activation)), type);
    if (type == DataType.FLOAT) {
      assertNotNull(net.getLayer("bn").getHelper(), "oneDNN's batch norm is in use");
    }
    INDArray gamma = randomStatistics(net, 5);
    INDArray x = Nd4j.randn(type, 4, CHANNELS, 5, 5).muli(2);

    INDArray mean = net.getLayer("bn").getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
    INDArray var = net.getLayer("bn").getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
    assertClose(
        expected(x, mean, var, gamma, net, activation), net.feedForward(x, false).get("bn"));

    INDArray batchMean = x.mean(0, 2, 3);
    INDArray batchVar = x.var(false, 0, 2, 3);
    assertClose(
        expected(x, batchMean, batchVar, gamma, net, activation),
        net.feedForward(x, true).get("bn"));
  }

  @ParameterizedTest
  @MethodSource("activationsAndTypes")
  void runningStatisticsMoveByMomentumTowardsTheUnbiasedBatchVariance(
      Activation activation, DataType type) {
    ComputationGraph net =
        network(BatchNormActivation.of(CHANNELS, GhostNetBuilder.activation(activation)), type);
    Nd4j.getRandom().setSeed(2);
    INDArray x = Nd4j.randn(type, 4, CHANNELS, 5, 5).muli(3).addi(1);
    net.fit(new DataSet(x, Nd4j.rand(type, 4, 2)));

    long n = 4 * 5 * 5;
    INDArray unbiased = x.var(false, 0, 2, 3).muli((double) n / (n - 1));
    INDArray expectedVar = unbiased.mul(0.1).addi(0.9); // running var starts at 1
    INDArray expectedMean = x.mean(0, 2, 3).muli(0.1); // running mean starts at 0
    assertClose(
        expectedMean, net.getLayer("bn").getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN));
    assertClose(
        expectedVar, net.getLayer("bn").getParam(BatchNormalizationParamInitializer.GLOBAL_VAR));
  }

  @Test
  void activationSurvivesSerialisation() throws Exception {
    ComputationGraph net =
        network(
            BatchNormActivation.of(CHANNELS, GhostNetBuilder.activation(Activation.HARD_SWISH)),
            DataType.FLOAT);
    randomStatistics(net, 7);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, bytes, true);
    ComputationGraph restored =
        ModelSerializer.restoreComputationGraph(
            new ByteArrayInputStream(bytes.toByteArray()), true);
    INDArray x = Nd4j.randn(DataType.FLOAT, 2, CHANNELS, 5, 5).muli(3);
    INDArray original = net.feedForward(x, false).get("bn");
    assertTrue(original.minNumber().doubleValue() < -0.1, "hardswish dips below zero");
    assertClose(original, restored.feedForward(x, false).get("bn"));
    assertTrue(restored.getConfiguration().toJson().contains("ActivationHardSwish"));
  }

  /**
   * Canary: DL4J's own layer drops its activation. BatchNormActivation applies the activation after
   * {@code super.activate()}; if an upgraded DL4J applied it there too, it would be applied twice.
   */
  @Test
  void dl4jsOwnBatchNormStillIgnoresItsActivation() {
    Layer plain =
        new BatchNormalization.Builder()
            .nIn(CHANNELS)
            .nOut(CHANNELS)
            .activation(new ActivationReLU())
            .build();
    ComputationGraph net = network(plain, DataType.FLOAT);
    INDArray x = Nd4j.randn(DataType.FLOAT, 4, CHANNELS, 5, 5);
    assertTrue(
        net.feedForward(x, false).get("bn").minNumber().doubleValue() < 0,
        "DL4J's BatchNormalization now applies its activation: BatchNormActivation would apply it twice");
  }

  @Test
  void gradientsMatchFiniteDifferencesThroughTheActivation() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      ComputationGraph net =
          network(
              BatchNormActivation.of(CHANNELS, GhostNetBuilder.activation(Activation.HARD_SWISH)),
              DataType.DOUBLE);
      randomStatistics(net, 3);
      Nd4j.getRandom().setSeed(4);
      INDArray x = Nd4j.randn(DataType.DOUBLE, 4, CHANNELS, 5, 5).muli(3);
      FiniteDifferences.Result result =
          FiniteDifferences.check(
              net, new DataSet(x, Nd4j.rand(DataType.DOUBLE, 4, 2)), 6, 1e-6, new Random(4));
      assertTrue(result.checked() >= 12, "checked " + result.checked());
      assertTrue(result.failures().isEmpty(), result.failures().toString());
    } finally {
      Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }
  }

  private static ComputationGraph network(Layer batchNorm, DataType type) {
    Natives.useOneDnnHelpers();
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(1)
            .dataType(type)
            .updater(new NoOp())
            .graphBuilder()
            .addInputs("in")
            .addLayer("bn", batchNorm, "in")
            .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .nIn(CHANNELS)
                    .nOut(2)
                    .activation(new ActivationIdentity())
                    .build(),
                "pool")
            .setOutputs("out")
            .setInputTypes(InputType.convolutional(5, 5, CHANNELS))
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }

  /** Random gamma, beta, running mean and variance; returns gamma. */
  private static INDArray randomStatistics(ComputationGraph net, long seed) {
    Nd4j.getRandom().setSeed(seed);
    var bn = net.getLayer("bn");
    INDArray gamma = bn.getParam(BatchNormalizationParamInitializer.GAMMA);
    gamma.assign(Nd4j.rand(gamma.dataType(), gamma.shape()).addi(0.5));
    INDArray beta = bn.getParam(BatchNormalizationParamInitializer.BETA);
    beta.assign(Nd4j.rand(beta.dataType(), beta.shape()).subi(0.5));
    INDArray mean = bn.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
    mean.assign(Nd4j.rand(mean.dataType(), mean.shape()).subi(0.5));
    INDArray var = bn.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
    assertNotNull(var, "running variance stored as a variance");
    assertNull(bn.paramTable().get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD));
    var.assign(Nd4j.rand(var.dataType(), var.shape()).addi(0.5));
    return gamma;
  }

  private static INDArray expected(
      INDArray x,
      INDArray mean,
      INDArray var,
      INDArray gamma,
      ComputationGraph net,
      Activation activation) {
    INDArray beta = net.getLayer("bn").getParam(BatchNormalizationParamInitializer.BETA);
    INDArray c = x.dup();
    for (int ch = 0; ch < CHANNELS; ch++) {
      INDArray slice =
          c.get(NDArrayIndex.all(), NDArrayIndex.point(ch), NDArrayIndex.all(), NDArrayIndex.all());
      double std = Math.sqrt(var.getDouble(ch) + 1e-5);
      slice.subi(mean.getDouble(ch)).divi(std).muli(gamma.getDouble(ch)).addi(beta.getDouble(ch));
    }
    return switch (activation) {
      case IDENTITY -> c;
      case RELU -> Transforms.relu(c, false);
      case HARD_SWISH -> c.mul(Transforms.relu6(c.add(3), false).divi(6));
      case HARD_SIGMOID -> Transforms.relu6(c.add(3), false).divi(6);
    };
  }

  private static void assertClose(INDArray expected, INDArray actual) {
    INDArray e = expected.castTo(DataType.DOUBLE).reshape(actual.shape());
    double diff = e.sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    assertTrue(
        diff < 1e-4 * Math.max(1, e.amaxNumber().doubleValue()),
        "max |diff| " + diff + "\nexpected " + e + "\nactual " + actual);
  }
}
