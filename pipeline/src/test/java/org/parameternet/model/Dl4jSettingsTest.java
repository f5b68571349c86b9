package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.layers.BatchNormActivation;
import org.parameternet.model.layers.DynamicConv;
import org.parameternet.testing.UnfusedBlocks;

/**
 * The audit of what GhostNetBuilder hands DL4J: DL4J accepts settings it then ignores or rewrites
 * (BN's activation, explicit nIn overridden by input types, a custom layer's activation), so each
 * setting is checked on the built network, and by its effect where the inference parity test
 * ({@code OnnxParityTest}) cannot see it (initial values, dropout).
 */
// looks inside the blocks by layer name
@ExtendWith(UnfusedBlocks.class)
class Dl4jSettingsTest {
  static Stream<String> variants() {
    return ModelRegistry.names().stream();
  }

  /** Walks the topology beside the built network and compares every layer with its op. */
  @ParameterizedTest
  @MethodSource("variants")
  void everyLayerIsBuiltAsTheTopologyAsksFor(String name) {
    ModelSpec spec = ModelRegistry.get(name).withResolution(32).withClasses(10);
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    GhostNetTopology.walk(spec, new BuiltNetworkCheck(net));
  }

  @Test
  void biasesStartAsPytorchDrawsThem() {
    ComputationGraph net = GhostNetBuilder.build(ModelRegistry.get("ghostnet_300m"), 1);
    int checked = 0;
    for (String layer : new String[] {"b3_se_reduce", "b3_se_expand", "head_conv", "classifier"}) {
      INDArray b = net.getLayer(layer).getParam("b");
      long fanIn = ((FeedForwardLayer) net.getLayer(layer).conf().getLayer()).getNIn();
      double bound = 1 / Math.sqrt(fanIn);
      double max = b.amaxNumber().doubleValue();
      assertTrue(
          max <= bound && max > 0.8 * bound, layer + ": max |b| " + max + ", bound " + bound);
      assertUniformVariance(layer + ".b", b, bound);
      checked++;
    }
    assertEquals(4, checked);
  }

  /** U(-b, b), b = 1/sqrt(C_in/groups * k * k): DL4J's own depthwise fan-in rule would be C*k*k. */
  @Test
  void staticWeightsAreDrawnWithTheTrueFanIn() {
    ModelSpec spec = ModelRegistry.get("ghostnet_300m");
    ComputationGraph net = GhostNetBuilder.build(spec, 2);
    String[] layers = {
      "stem_conv",
      "b1_ghost1_primary_conv",
      "b1_ghost1_cheap_conv",
      "b1_dw_conv",
      "b1_sc_dw_conv",
      "final_conv",
      "head_conv",
      "classifier"
    };
    for (String name : layers) {
      var conf = (FeedForwardLayer) net.getLayer(name).conf().getLayer();
      long fanIn = conf.getNIn();
      if (conf instanceof DepthwiseConvolution2D dw) {
        fanIn = (long) dw.getKernelSize()[0] * dw.getKernelSize()[1];
      } else if (conf instanceof ConvolutionLayer c) {
        fanIn *= (long) c.getKernelSize()[0] * c.getKernelSize()[1];
      }
      double bound = 1 / Math.sqrt(fanIn);
      INDArray w = net.getLayer(name).getParam("W");
      double max = w.amaxNumber().doubleValue();
      assertTrue(
          max <= bound && max > 0.95 * bound, name + ": max |W| " + max + ", bound " + bound);
      assertUniformVariance(name + ".W", w, bound);
    }
  }

  /**
   * Each expert kaiming-uniform(a=sqrt 5) with its own fan-in, i.e. U(+-1/sqrt(C_in/g k k)), as
   * timm's CondConv2d; the routing linear as nn.Linear, U(+-1/sqrt(C_in)) for weight and bias.
   */
  @Test
  void dynamicConvExpertsAndRoutingAreDrawnAsTheReleasedCode() {
    ModelSpec spec = ModelRegistry.get("parameternet_300m");
    ComputationGraph net = GhostNetBuilder.build(spec, 3);
    for (String name :
        new String[] {
          "stem_conv", "b1_ghost1_primary_conv", "b1_ghost1_cheap_conv", "final_conv"
        }) {
      DynamicConv conf = (DynamicConv) net.getLayer(name).conf().getLayer();
      long fanIn = conf.getNIn() / conf.getGroups() * conf.getKernelSize() * conf.getKernelSize();
      INDArray experts = net.getLayer(name).getParam("W");
      for (int e = 0; e < conf.getExperts(); e++) {
        INDArray expert = experts.getRow(e);
        double bound = 1 / Math.sqrt(fanIn);
        double max = expert.amaxNumber().doubleValue();
        assertTrue(
            max <= bound && max > 0.95 * bound,
            name + " expert " + e + ": max " + max + ", bound " + bound);
        assertUniformVariance(name + " expert " + e, expert, bound);
      }
      double routingBound = 1 / Math.sqrt(conf.getNIn());
      for (String key : new String[] {"RW", "Rb"}) {
        double max = net.getLayer(name).getParam(key).amaxNumber().doubleValue();
        // four bias draws can all be small: only "not the constant DL4J would set" for Rb
        double floor = key.equals("RW") ? 0.5 * routingBound : 0;
        assertTrue(max <= routingBound && max > floor, name + "." + key + ": max " + max);
      }
    }
  }

  @Test
  void classifierInputIsDroppedWithTheSpecsProbabilityInTrainingOnly() {
    ModelSpec spec = ModelRegistry.get("ghostnet_micro_32").withClasses(10).withDropout(0.3);
    ComputationGraph net = GhostNetBuilder.build(spec, 4);
    Nd4j.getRandom().setSeed(4);
    INDArray images = Nd4j.randn(DataType.FLOAT, 64, 3, 32, 32);
    INDArray head = net.feedForward(images, false).get("head_conv");
    Layer classifier = net.getLayer(GhostNetBuilder.OUTPUT);
    classifier.setInput(head.dup(), LayerWorkspaceMgr.noWorkspaces());
    classifier.activate(true, LayerWorkspaceMgr.noWorkspaces());
    INDArray dropped = classifier.input();
    INDArray keptMask = dropped.neq(0).castTo(DataType.FLOAT);
    double kept =
        keptMask.sumNumber().doubleValue()
            / head.neq(0).castTo(DataType.FLOAT).sumNumber().doubleValue();
    assertEquals(0.7, kept, 0.02, "share of the classifier's inputs kept");
    // Inverted dropout, as PyTorch's: what is kept is scaled by 1 / (1 - p).
    INDArray scaled = head.div(0.7).muli(keptMask);
    assertTrue(
        scaled.sub(dropped).amaxNumber().doubleValue() < 1e-4, "kept inputs scaled by 1/0.7");

    classifier.setInput(head.dup(), LayerWorkspaceMgr.noWorkspaces());
    classifier.activate(false, LayerWorkspaceMgr.noWorkspaces());
    assertEquals(
        0.0,
        classifier.input().sub(head).amaxNumber().doubleValue(),
        0.0,
        "no dropout at inference");
  }

  @Test
  void dynamicConvRefusesAnActivationItWouldDrop() {
    var builder =
        new DynamicConv.Builder()
            .kernelSize(1)
            .experts(2)
            .nIn(4)
            .nOut(4)
            .activation(new ActivationReLU());
    assertThrows(IllegalArgumentException.class, builder::build);
  }

  private static void assertUniformVariance(String what, INDArray values, double bound) {
    if (values.length() < 200) {
      return; // too few draws for a variance test
    }
    double variance = values.castTo(DataType.DOUBLE).varNumber().doubleValue();
    double expected = bound * bound / 3;
    double tolerance = 4 * expected * Math.sqrt(0.8 / values.length()) + 1e-12;
    assertEquals(expected, variance, tolerance, what + ": variance of U(-b, b)");
  }

  /** A sink that checks, node by node, that the built network has what the topology asked for. */
  private record BuiltNetworkCheck(ComputationGraph net) implements GraphSink<String> {
    private org.deeplearning4j.nn.conf.layers.Layer conf(String name) {
      Layer layer = net.getLayer(name);
      assertTrue(layer != null, "no layer " + name);
      return layer.conf().getLayer();
    }

    @Override
    public String input(FeatureShape shape) {
      return GhostNetBuilder.INPUT;
    }

    @Override
    public String conv(String name, String input, FeatureShape in, ConvOp op) {
      var layer = conf(name);
      if (op.isDynamic()) {
        DynamicConv d = assertInstanceOf(DynamicConv.class, layer, name);
        assertArrayEquals(
            new long[] {
              op.in(), op.out(), op.kernel(), op.stride(), op.padding(), op.groups(), op.experts()
            },
            new long[] {
              d.getNIn(),
              d.getNOut(),
              d.getKernelSize(),
              d.getStride(),
              d.getPadding(),
              d.getGroups(),
              d.getExperts()
            },
            name);
        return name;
      }
      ConvolutionLayer c = assertInstanceOf(ConvolutionLayer.class, layer, name);
      assertEquals(op.isDepthwise(), c instanceof DepthwiseConvolution2D, name + " depthwise");
      long out =
          c instanceof DepthwiseConvolution2D dw
              ? c.getNIn() * dw.getDepthMultiplier()
              : c.getNOut();
      assertArrayEquals(
          new long[] {
            op.in(),
            op.out(),
            op.kernel(),
            op.kernel(),
            op.stride(),
            op.stride(),
            op.padding(),
            op.padding()
          },
          new long[] {
            c.getNIn(),
            out,
            c.getKernelSize()[0],
            c.getKernelSize()[1],
            c.getStride()[0],
            c.getStride()[1],
            c.getPadding()[0],
            c.getPadding()[1]
          },
          name);
      assertEquals(op.bias(), c.hasBias(), name + " bias");
      assertEquals(
          GhostNetBuilder.activation(op.activation()).getClass(),
          c.getActivationFn().getClass(),
          name);
      return name;
    }

    /** Every branch's conv and BN as an unbranched one, their sum, then the activation. */
    @Override
    public String branchedConvBn(
        String name, String input, FeatureShape in, ConvOp op, Activation activation) {
      for (int i = 0; i < op.branches(); i++) {
        conv(GraphSink.branchPart(name, i, "conv"), input, in, op.withBranches(1));
        batchNorm(
            GraphSink.branchPart(name, i, "bn"), input, op.outputShape(in), Activation.IDENTITY);
      }
      var vertices = net.getConfiguration().getVertices();
      assertFalse(vertices.containsKey(GraphSink.branchPart(name, op.branches(), "conv")), name);
      assertEquals(
          op.branches(), net.getConfiguration().getVertexInputs().get(name + "_sum").size());
      if (activation == Activation.IDENTITY) {
        assertFalse(vertices.containsKey(name + "_act"), name);
        return name + "_sum";
      }
      ActivationLayer act = assertInstanceOf(ActivationLayer.class, conf(name + "_act"), name);
      assertEquals(
          GhostNetBuilder.activation(activation).getClass(),
          act.getActivationFn().getClass(),
          name);
      return name + "_act";
    }

    @Override
    public String batchNorm(String name, String input, FeatureShape shape, Activation activation) {
      BatchNormActivation bn = assertInstanceOf(BatchNormActivation.class, conf(name), name);
      assertEquals(shape.channels(), bn.getNOut(), name);
      assertEquals(
          GhostNetBuilder.activation(activation).getClass(), bn.getActivationFn().getClass(), name);
      assertEquals(1e-5, bn.getEps(), 0, name + " eps (PyTorch's)");
      assertEquals(0.9, bn.getDecay(), 0, name + " decay = 1 - PyTorch's momentum 0.1");
      assertFalse(bn.isUseLogStd(), name + " running variance stored as a variance");
      assertFalse(bn.isLockGammaBeta(), name);
      return name;
    }

    @Override
    public String concat(String name, String first, String second, FeatureShape out) {
      return name;
    }

    @Override
    public String add(String name, String first, String second, FeatureShape shape) {
      return name;
    }

    @Override
    public String globalAveragePool(String name, String input, FeatureShape in) {
      return name;
    }

    @Override
    public String channelScale(String name, String features, String gate, FeatureShape shape) {
      return name;
    }

    @Override
    public String dense(String name, String input, int in, int out, Activation activation) {
      DenseLayer d = assertInstanceOf(DenseLayer.class, conf(name), name);
      assertArrayEquals(new long[] {in, out}, new long[] {d.getNIn(), d.getNOut()}, name);
      assertTrue(d.hasBias(), name);
      assertEquals(
          GhostNetBuilder.activation(activation).getClass(), d.getActivationFn().getClass(), name);
      return name;
    }

    @Override
    public String classifier(String name, String input, int in, int classes, double dropout) {
      OutputLayer o = assertInstanceOf(OutputLayer.class, conf(name), name);
      assertArrayEquals(new long[] {in, classes}, new long[] {o.getNIn(), o.getNOut()}, name);
      if (dropout > 0) {
        Dropout d = assertInstanceOf(Dropout.class, o.getIDropout(), name);
        assertEquals(1 - dropout, d.getP(), 1e-12, name + ": DL4J takes the retain probability");
      }
      return name;
    }
  }
}
