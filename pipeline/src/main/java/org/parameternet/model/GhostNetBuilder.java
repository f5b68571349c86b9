package org.parameternet.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.distribution.UniformDistribution;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.parameternet.model.layers.ActivationHardSigmoidGate;
import org.parameternet.model.layers.ActivationHardSwish;
import org.parameternet.model.layers.BatchNormActivation;
import org.parameternet.model.layers.ChannelScale;
import org.parameternet.model.layers.DynamicConv;
import org.parameternet.model.layers.KernelPolicy;
import org.parameternet.model.layers.LeanConvolution;
import org.parameternet.model.layers.LeanDepthwiseConvolution;
import org.parameternet.model.layers.NativeBottleneck;

/**
 * Builds the DL4J {@link ComputationGraph} of a {@link ModelSpec}. Weights and biases start as
 * PyTorch's defaults (U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with the true per-group fan-in; BN gamma 1,
 * beta 0).
 */
public final class GhostNetBuilder implements GraphSink<String> {
  public static final String INPUT = "input";
  public static final String OUTPUT = "classifier";

  private final ComputationGraphConfiguration.GraphBuilder graph;
  private final DataType dataType;

  /** Whether plain bottlenecks become {@link NativeBottleneck} layers where they can. */
  private final boolean nativeBlocks;

  private GhostNetBuilder(
      ComputationGraphConfiguration.GraphBuilder graph, DataType dataType, boolean nativeBlocks) {
    this.graph = graph;
    this.dataType = dataType;
    this.nativeBlocks = nativeBlocks;
  }

  /**
   * The graph configuration of {@code spec} on top of {@code base}, which carries the training
   * settings (seed, updater, data type, regularisation).
   */
  public static ComputationGraphConfiguration configuration(
      ModelSpec spec, NeuralNetConfiguration.Builder base) {
    // Helpers are chosen when layers are created, so every network built from this configuration
    // (here, in training, or restored from a checkpoint after this call) gets them.
    Natives.useOneDnnHelpers();
    boolean nativeBlocks = KernelPolicy.nativeBlocks();
    ComputationGraphConfiguration conf = configuration(spec, base, nativeBlocks);
    if (nativeBlocks) {
      // the unfused graph's parameter order, so both read the same flat vector
      NativeBlockOrder.follow(conf, configuration(spec, base, false));
    }
    return conf;
  }

  private static ComputationGraphConfiguration configuration(
      ModelSpec spec, NeuralNetConfiguration.Builder base, boolean nativeBlocks) {
    GhostNetBuilder builder =
        new GhostNetBuilder(base.graphBuilder(), base.getDataType(), nativeBlocks);
    GhostNetTopology.walk(spec, builder);
    return builder
        .graph
        .setOutputs(OUTPUT)
        .setInputTypes(InputType.convolutional(spec.resolution(), spec.resolution(), 3))
        .build();
  }

  /**
   * Adds bottleneck {@code index} of {@code spec} alone to {@code graph} (whose settings {@code
   * base} carries) after vertex {@code input}; returns the block's output vertex. For tests and
   * benchmarks of one block.
   */
  public static String bottleneck(
      ModelSpec spec,
      int index,
      NeuralNetConfiguration.Builder base,
      ComputationGraphConfiguration.GraphBuilder graph,
      String input) {
    Natives.useOneDnnHelpers();
    return GhostNetTopology.bottleneck(
        spec,
        index,
        new GhostNetBuilder(graph, base.getDataType(), KernelPolicy.nativeBlocks()),
        input);
  }

  /**
   * Gives {@code fused}'s native blocks and vertices the parameter order of {@code unfused}, the
   * same graph played op by op (as {@link #configuration} does for a whole network). For tests and
   * benchmarks of one block.
   */
  public static void followUnfusedOrder(
      ComputationGraphConfiguration fused, ComputationGraphConfiguration unfused) {
    NativeBlockOrder.follow(fused, unfused);
  }

  /** An initialised network with default training settings (Adam 1e-3), float32. */
  public static ComputationGraph build(ModelSpec spec, long seed) {
    return build(spec, seed, DataType.FLOAT);
  }

  public static ComputationGraph build(ModelSpec spec, long seed, DataType dataType) {
    return initialise(configuration(spec, defaults(seed, dataType)));
  }

  /**
   * As {@link #build(ModelSpec, long, DataType)} with every bottleneck as unfused DL4J layers,
   * whatever {@link KernelPolicy#nativeBlocks} says: for code that works on those layers one by one
   * ({@link RepConvFolding} writes each folded conv and batch norm by layer name).
   */
  public static ComputationGraph buildUnfused(ModelSpec spec, long seed, DataType dataType) {
    Natives.useOneDnnHelpers();
    return initialise(configuration(spec, defaults(seed, dataType), false));
  }

  private static NeuralNetConfiguration.Builder defaults(long seed, DataType dataType) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(dataType)
        .updater(new Adam(1e-3))
        .convolutionMode(ConvolutionMode.Truncate);
  }

  /**
   * A network of {@code conf} with PyTorch's initial values: DL4J draws the weights from the
   * configured distributions, then every bias is drawn as PyTorch does (DL4J can only set a
   * constant).
   */
  public static ComputationGraph initialise(ComputationGraphConfiguration conf) {
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    PytorchBiasInit.apply(net, conf.getDefaultConfiguration().getSeed());
    return net;
  }

  @Override
  public String input(FeatureShape shape) {
    graph.addInputs(INPUT);
    return INPUT;
  }

  @Override
  public String conv(String name, String input, FeatureShape in, ConvOp op) {
    if (op.isDynamic()) {
      graph.addLayer(
          name,
          new DynamicConv.Builder()
              .kernelSize(op.kernel())
              .stride(op.stride())
              .padding(op.padding())
              .groups(op.groups())
              .experts(op.experts())
              .nIn(op.in())
              .nOut(op.out())
              .activation(new ActivationIdentity())
              .build(),
          input);
      return name;
    }
    if (op.activation() != Activation.IDENTITY && op.isDepthwise()) {
      throw new IllegalArgumentException(name + ": unsupported conv " + op);
    }
    UniformDistribution init =
        pytorchDefault((long) (op.in() / op.groups()) * op.kernel() * op.kernel());
    if (op.isDepthwise()) {
      DepthwiseConvolution2D.Builder depthwise =
          new DepthwiseConvolution2D.Builder(op.kernel(), op.kernel())
              .stride(op.stride(), op.stride())
              .padding(op.padding(), op.padding())
              .depthMultiplier(1)
              .nIn(op.in())
              .nOut(op.out())
              .hasBias(op.bias())
              .activation(new ActivationIdentity())
              .weightInit(init);
      depthwise.build(); // DL4J's validation of the geometry
      graph.addLayer(name, new LeanDepthwiseConvolution(depthwise), input);
    } else if (op.groups() == 1) {
      ConvolutionLayer.Builder conv =
          new ConvolutionLayer.Builder(op.kernel(), op.kernel())
              .stride(op.stride(), op.stride())
              .padding(op.padding(), op.padding())
              .nIn(op.in())
              .nOut(op.out())
              .hasBias(op.bias())
              .biasInit(0.0)
              .activation(activation(op.activation()))
              .weightInit(init);
      conv.build(); // DL4J's validation of the geometry
      graph.addLayer(name, new LeanConvolution(conv), input);
    } else {
      throw new IllegalArgumentException(
          name + ": static grouped convs other than depthwise are not supported: " + op);
    }
    return name;
  }

  @Override
  public String branchedConvBn(
      String name, String input, FeatureShape in, ConvOp op, Activation activation) {
    FeatureShape out = op.outputShape(in);
    String[] branches = new String[op.branches()];
    for (int i = 0; i < branches.length; i++) {
      String conv = conv(GraphSink.branchPart(name, i, "conv"), input, in, op.withBranches(1));
      branches[i] = batchNorm(GraphSink.branchPart(name, i, "bn"), conv, out, Activation.IDENTITY);
    }
    String sum = name + "_sum";
    graph.addVertex(sum, new ElementWiseVertex(ElementWiseVertex.Op.Add), branches);
    if (activation == Activation.IDENTITY) {
      return sum;
    }
    String activated = name + "_act";
    graph.addLayer(activated, new ActivationLayer(activation(activation)), sum);
    return activated;
  }

  /**
   * One {@link NativeBottleneck} layer when {@code -Dpnet.kernels=native-blocks} is on, the network
   * is float32 and the layer supports the block; double networks (the gradient checks) keep the
   * unfused layers, which have the Java double path oneDNN's float32 block lacks.
   */
  @Override
  public String wholeBottleneck(String name, String input, FeatureShape in, BottleneckOp op) {
    if (!nativeBlocks || dataType != DataType.FLOAT) {
      return null;
    }
    NativeBottleneck layer = new NativeBottleneck();
    layer.setNIn(op.in());
    layer.setMid(op.mid());
    layer.setNOut(op.out());
    layer.setKernel(op.kernel());
    layer.setStride(op.stride());
    layer.setSeReduced(op.seReduced());
    layer.setActivationFn(activation(op.activation()));
    layer.setExperts(op.experts());
    if (!layer.supports()
        || (op.seReduced() > 0 && !KernelPolicy.nativeSqueezeExcite())
        || (op.isDynamic() && !KernelPolicy.nativeDynamicBlocks())) {
      return null;
    }
    graph.addLayer(name, layer, input);
    return name;
  }

  @Override
  public String batchNorm(String name, String input, FeatureShape shape, Activation activation) {
    // Not DL4J's BatchNormalization with .activation(): that layer never applies it.
    graph.addLayer(name, BatchNormActivation.of(shape.channels(), activation(activation)), input);
    return name;
  }

  @Override
  public String concat(String name, String first, String second, FeatureShape out) {
    graph.addVertex(name, new MergeVertex(), first, second);
    return name;
  }

  @Override
  public String add(String name, String first, String second, FeatureShape shape) {
    graph.addVertex(name, new ElementWiseVertex(ElementWiseVertex.Op.Add), first, second);
    return name;
  }

  @Override
  public String globalAveragePool(String name, String input, FeatureShape in) {
    graph.addLayer(
        name,
        new GlobalPoolingLayer.Builder(PoolingType.AVG).collapseDimensions(false).build(),
        input);
    return name;
  }

  @Override
  public String channelScale(String name, String features, String gate, FeatureShape shape) {
    graph.addVertex(name, new ChannelScale(), features, gate);
    return name;
  }

  @Override
  public String dense(String name, String input, int in, int out, Activation activation) {
    graph.addLayer(
        name,
        new DenseLayer.Builder()
            .nIn(in)
            .nOut(out)
            .activation(activation(activation))
            .weightInit(pytorchDefault(in))
            .biasInit(0.0)
            .build(),
        input);
    return name;
  }

  @Override
  public String classifier(String name, String input, int in, int classes, double dropout) {
    OutputLayer.Builder layer =
        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
            .nIn(in)
            .nOut(classes)
            .activation(new ActivationSoftmax())
            .weightInit(pytorchDefault(in))
            .biasInit(0.0);
    if (dropout > 0) {
      layer.dropOut(1.0 - dropout); // DL4J takes the retain probability
    }
    graph.addLayer(name, layer.build(), input);
    return name;
  }

  private static UniformDistribution pytorchDefault(long fanIn) {
    double bound = 1.0 / Math.sqrt(fanIn);
    return new UniformDistribution(-bound, bound);
  }

  static IActivation activation(Activation activation) {
    return switch (activation) {
      case IDENTITY -> new ActivationIdentity();
      case RELU -> new ActivationReLU();
      case HARD_SWISH -> new ActivationHardSwish();
      case HARD_SIGMOID -> new ActivationHardSigmoidGate();
    };
  }
}
