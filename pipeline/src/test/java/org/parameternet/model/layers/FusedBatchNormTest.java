package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.parameternet.model.Natives;

/**
 * The fused float32 kernels against DL4J's own batch norm and the activation's own backprop, run in
 * float64 (where the fused path never runs): the outputs, every gradient (gamma, beta, the running
 * statistics' steps, and through the leading convs the input gradient) must agree. The norms'
 * gradients arrive through a concatenation, as in every ghost module; the planes are odd-sized so
 * the kernels' remainder loops run.
 */
class FusedBatchNormTest {
  enum Kind {
    IDENTITY,
    RELU,
    HARD_SWISH
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void fusedFloatMatchesDl4jsPathInDouble(Kind kind) {
    ComputationGraph fused = network(kind, DataType.FLOAT);
    ComputationGraph reference = network(kind, DataType.DOUBLE);
    randomiseNorms(fused);
    reference.setParams(fused.params().castTo(DataType.DOUBLE));
    Nd4j.getRandom().setSeed(7);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 3, 4, 7, 9).muli(2).addi(0.5);
    INDArray y = Nd4j.randn(DataType.DOUBLE, 3, 2);

    assertClose(
        reference.feedForward(x, true).get("merge"),
        fused.feedForward(x.castTo(DataType.FLOAT), true).get("merge"),
        "training output");
    assertClose(
        reference.feedForward(x, false).get("merge"),
        fused.feedForward(x.castTo(DataType.FLOAT), false).get("merge"),
        "inference output");

    INDArray expected = gradient(reference, x, y);
    INDArray actual = gradient(fused, x.castTo(DataType.FLOAT), y.castTo(DataType.FLOAT));
    assertTrue(expected.amaxNumber().doubleValue() > 1e-3, "gradients are not trivially zero");
    for (String layer : new String[] {"convA", "convB", "bnA", "bnB"}) {
      assertClose(
          reference.getLayer(layer).getGradientsViewArray(),
          fused.getLayer(layer).getGradientsViewArray(),
          layer + " gradients");
    }
    assertClose(expected, actual, "all gradients");
  }

  @Test
  void varianceSurvivesALargeMean() {
    Nd4j.getRandom().setSeed(11);
    INDArray x = Nd4j.randn(DataType.DOUBLE, 4, 3, 33, 31).muli(0.01).addi(3000);
    double[] mean = new double[3];
    double[] variance = new double[3];
    FusedBatchNorm.statistics(
        ChannelPlanes.of(x.castTo(DataType.FLOAT)).orElseThrow(), mean, variance);
    INDArray rounded = x.castTo(DataType.FLOAT).castTo(DataType.DOUBLE);
    for (int c = 0; c < 3; c++) {
      INDArray channel = rounded.get(NDArrayIndex.all(), NDArrayIndex.point(c), NDArrayIndex.all());
      double expectedMean = channel.meanNumber().doubleValue();
      double expectedVar =
          channel.varNumber().doubleValue() * (channel.length() - 1) / channel.length();
      assertEquals(expectedMean, mean[c], 1e-6 * expectedMean);
      assertEquals(expectedVar, variance[c], 1e-3 * expectedVar, "channel " + c);
    }
  }

  @Test
  void channelSlicesAreSeenInPlaceAndTransposesAreNot() {
    INDArray whole = Nd4j.rand(DataType.FLOAT, 2, 6, 3, 5);
    INDArray slice =
        whole.get(
            NDArrayIndex.all(),
            NDArrayIndex.interval(2, 5),
            NDArrayIndex.all(),
            NDArrayIndex.all());
    ChannelPlanes planes = ChannelPlanes.of(slice).orElseThrow();
    assertEquals(3, planes.channels());
    assertEquals(15, planes.plane());
    assertEquals(slice.getFloat(1, 2, 2, 4), planes.data().get(planes.start(1, 2) + 2 * 5 + 4));
    assertTrue(ChannelPlanes.of(whole.permute(0, 1, 3, 2)).isEmpty(), "a transposed plane");
    assertTrue(ChannelPlanes.of(whole.castTo(DataType.DOUBLE)).isEmpty(), "float64");
  }

  private static INDArray gradient(ComputationGraph net, INDArray x, INDArray y) {
    net.setInputs(x);
    net.setLabels(y);
    net.computeGradientAndScore();
    return net.gradient().gradient().castTo(DataType.DOUBLE).dup();
  }

  private static IActivation activation(Kind kind) {
    return switch (kind) {
      case IDENTITY -> new ActivationIdentity();
      case RELU -> new ActivationReLU();
      case HARD_SWISH -> new ActivationHardSwish();
    };
  }

  /** in → convA → bnA, in → convB → bnB, concat → pool → out. */
  private static ComputationGraph network(Kind kind, DataType type) {
    Natives.useOneDnnHelpers();
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(1)
            .dataType(type)
            .updater(new NoOp())
            .graphBuilder()
            .addInputs("in")
            .addLayer("convA", conv(5), "in")
            .addLayer("bnA", BatchNormActivation.of(5, activation(kind)), "convA")
            .addLayer("convB", conv(3), "in")
            .addLayer("bnB", BatchNormActivation.of(3, activation(kind)), "convB")
            .addVertex("merge", new MergeVertex(), "bnA", "bnB")
            .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "merge")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .nIn(8)
                    .nOut(2)
                    .activation(new ActivationIdentity())
                    .build(),
                "pool")
            .setOutputs("out")
            .setInputTypes(InputType.convolutional(7, 9, 4))
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }

  private static ConvolutionLayer conv(int channels) {
    return new ConvolutionLayer.Builder(1, 1)
        .nIn(4)
        .nOut(channels)
        .hasBias(false)
        .activation(new ActivationIdentity())
        .build();
  }

  private static void randomiseNorms(ComputationGraph net) {
    Nd4j.getRandom().setSeed(5);
    for (String name : new String[] {"bnA", "bnB"}) {
      var bn = net.getLayer(name);
      INDArray gamma = bn.getParam(BatchNormalizationParamInitializer.GAMMA);
      gamma.assign(Nd4j.rand(gamma.dataType(), gamma.shape()).addi(0.5));
      INDArray beta = bn.getParam(BatchNormalizationParamInitializer.BETA);
      beta.assign(Nd4j.rand(beta.dataType(), beta.shape()).subi(0.5));
      INDArray mean = bn.getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN);
      mean.assign(Nd4j.rand(mean.dataType(), mean.shape()).subi(0.5));
      INDArray var = bn.getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
      var.assign(Nd4j.rand(var.dataType(), var.shape()).addi(0.5));
    }
  }

  private static void assertClose(INDArray expected, INDArray actual, String what) {
    INDArray e = expected.castTo(DataType.DOUBLE);
    double scale = Math.max(1e-3, e.amaxNumber().doubleValue());
    double diff = e.sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    assertTrue(diff < 2e-5 * scale, what + ": max |diff| " + diff + " at scale " + scale);
  }
}
