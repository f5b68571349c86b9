package org.parameternet.model.layers;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.parameternet.model.BlockRow;
import org.parameternet.model.FeatureShape;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.GhostNetTopology;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import org.parameternet.train.FlatGradientUpdater;

/**
 * Milliseconds per training forward + backward of one bottleneck, native against unfused: the block
 * then an MSE loss, and the loss alone (to subtract), medians over timed iterations after warm-up.
 * No JUnit; run by {@code tools/native-bench.sh}.
 *
 * <p>Arguments: {@code model block batch [iterations]}, or {@code network model batch [iterations]}
 * for a whole network's training step (computeGradientAndScore) with the switch off and on, or
 * {@code ab model batch iterations property=a,b} for a whole network's step (100 classes) built
 * with system property {@code property} at {@code a} against one built at {@code b}, timed in
 * alternating steps so that the machine's drift falls on both alike, or {@code pair modelA modelB
 * batch [iterations]} for two models' whole steps (1000 classes) in alternation and their ratio.
 */
public final class NativeBottleneckBench {
  private NativeBottleneckBench() {}

  public static void main(String[] args) {
    int iterations = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    if (args[0].equals("ab")) {
      abNetwork(
          ModelRegistry.get(args[1]).withClasses(100),
          Integer.parseInt(args[2]),
          iterations,
          args[4]);
      return;
    }
    if (args[0].equals("pair")) {
      pair(
          ModelRegistry.get(args[1]).withClasses(1000),
          ModelRegistry.get(args[2]).withClasses(1000),
          Integer.parseInt(args[3]),
          args.length > 4 ? Integer.parseInt(args[4]) : 20);
      return;
    }
    if (args[0].equals("network")) {
      network(ModelRegistry.get(args[1]).withClasses(1000), Integer.parseInt(args[2]), iterations);
      return;
    }
    ModelSpec spec = ModelRegistry.get(args[0]);
    int block = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    FeatureShape in = GhostNetTopology.blockInput(spec, block);
    BlockRow row = spec.blocks().get(block);
    System.out.printf(
        "%s b%d: %dx%d, %d channels, stride %d, k%d, SE %s, batch %d, OMP_NUM_THREADS=%s,"
            + " layout %s%n",
        spec.name(),
        block,
        in.height(),
        in.width(),
        in.channels(),
        row.stride(),
        row.kernel(),
        row.hasSqueezeExcite(),
        batch,
        System.getenv("OMP_NUM_THREADS"),
        System.getProperty("pnet.native.layout", "auto"));
    FeatureShape out = GhostNetTopology.blockInput(spec, block + 1);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, in.channels(), in.height(), in.width());
    INDArray labels = Nd4j.randn(DataType.FLOAT, batch, out.channels(), out.height(), out.width());
    double unfused = time(blockNetwork(spec, block, in, false), x, labels, iterations);
    // the loss alone, on a map of the block's output shape
    INDArray y = Nd4j.randn(DataType.FLOAT, labels.shape());
    double lossOnly = time(lossOnly(out), y, labels, iterations);
    double fused = time(blockNetwork(spec, block, in, true), x, labels, iterations);
    System.out.printf(
        "  unfused %.2f ms, native %.2f ms (block + loss); loss alone %.2f ms;"
            + " block alone: unfused %.2f, native %.2f, speed-up %.2fx%n",
        unfused,
        fused,
        lossOnly,
        unfused - lossOnly,
        fused - lossOnly,
        (unfused - lossOnly) / (fused - lossOnly));
  }

  private static void network(ModelSpec spec, int batch, int iterations) {
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, spec.resolution(), spec.resolution());
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, spec.numClasses());
    for (int i = 0; i < batch; i++) {
      labels.putScalar(i, i % spec.numClasses(), 1);
    }
    for (String kernels : new String[] {"fast", "native-blocks", "fast", "native-blocks"}) {
      System.setProperty(KernelPolicy.SWITCH, kernels);
      ComputationGraph net = GhostNetBuilder.build(spec, 1);
      System.out.printf(
          "%s batch %d, -Dpnet.kernels=%s: %.1f ms per training step (forward + backward)%n",
          spec.name(), batch, kernels, time(net, x, labels, iterations));
    }
  }

  /**
   * Whole {@code fit} steps of two models at 1000 classes (e.g. parameternet_300m against
   * ghostnet_300m, the step ratio), alternating in one JVM so that the machine's drift
   * falls on both alike: each one's median and quartiles, and the median of the per-round ratios.
   */
  private static void pair(ModelSpec first, ModelSpec second, int batch, int iterations) {
    ModelSpec[] specs = {first, second};
    ComputationGraph[] nets = new ComputationGraph[2];
    DataSet[] data = new DataSet[2];
    for (int v = 0; v < 2; v++) {
      ModelSpec spec = specs[v];
      INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, spec.resolution(), spec.resolution());
      INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, spec.numClasses());
      for (int i = 0; i < batch; i++) {
        labels.putScalar(i, i % spec.numClasses(), 1);
      }
      data[v] = new DataSet(x, labels);
      nets[v] = GhostNetBuilder.build(spec, 1);
      FlatGradientUpdater.install(nets[v]);
    }
    for (int i = 0; i < Math.max(iterations / 2, 10); i++) {
      for (int v = 0; v < 2; v++) {
        nets[v].fit(data[v]); // until the Java steps are compiled
      }
    }
    double[][] ms = new double[2][iterations];
    double[] ratios = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      for (int v = 0; v < 2; v++) {
        long start = System.nanoTime();
        nets[v].fit(data[v]);
        ms[v][i] = (System.nanoTime() - start) / 1e6;
      }
      ratios[i] = ms[0][i] / ms[1][i];
    }
    for (int v = 0; v < 2; v++) {
      Arrays.sort(ms[v]);
      System.out.printf(
          "%s batch %d: median %.1f ms, quartiles %.1f-%.1f%n",
          specs[v].name(),
          batch,
          ms[v][iterations / 2],
          ms[v][iterations / 4],
          ms[v][3 * iterations / 4]);
    }
    Arrays.sort(ratios);
    System.out.printf(
        "%s / %s step: %.3f (ratio of medians), per round median %.3f, quartiles %.3f-%.3f%n",
        first.name(),
        second.name(),
        ms[0][iterations / 2] / ms[1][iterations / 2],
        ratios[iterations / 2],
        ratios[iterations / 4],
        ratios[3 * iterations / 4]);
  }

  private static void abNetwork(ModelSpec spec, int batch, int iterations, String setting) {
    String property = setting.substring(0, setting.indexOf('='));
    String[] values = setting.substring(setting.indexOf('=') + 1).split(",");
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, spec.resolution(), spec.resolution());
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, spec.numClasses());
    for (int i = 0; i < batch; i++) {
      labels.putScalar(i, i % spec.numClasses(), 1);
    }
    // -Dpnet.bench.step=fit: whole training steps as bench models times them (updater included)
    boolean fit = System.getProperty("pnet.bench.step", "gradient").equals("fit");
    DataSet data = new DataSet(x, labels);
    ComputationGraph[] nets = new ComputationGraph[2];
    for (int v = 0; v < 2; v++) {
      System.setProperty(property, values[v]);
      nets[v] = GhostNetBuilder.build(spec, 1);
      if (fit) {
        FlatGradientUpdater.install(nets[v]);
      }
      nets[v].setInputs(x);
      nets[v].setLabels(labels);
      step(nets[v], data, fit); // plans are built here, with the property as set
    }
    for (int i = 0; i < iterations / 2; i++) {
      for (ComputationGraph net : nets) {
        step(net, data, fit); // until the Java steps are compiled
      }
    }
    double[][] ms = new double[2][iterations];
    for (int i = 0; i < iterations; i++) {
      for (int v = 0; v < 2; v++) {
        long start = System.nanoTime();
        step(nets[v], data, fit);
        ms[v][i] = (System.nanoTime() - start) / 1e6;
      }
    }
    for (int v = 0; v < 2; v++) {
      Arrays.sort(ms[v]);
      System.out.printf(
          "%s batch %d, -D%s=%s: median %.1f ms, quartiles %.1f-%.1f%n",
          spec.name(),
          batch,
          property,
          values[v],
          ms[v][iterations / 2],
          ms[v][iterations / 4],
          ms[v][3 * iterations / 4]);
    }
  }

  private static void step(ComputationGraph net, DataSet data, boolean fit) {
    if (fit) {
      net.fit(data);
    } else {
      net.computeGradientAndScore();
    }
  }

  private static ComputationGraph blockNetwork(
      ModelSpec spec, int block, FeatureShape in, boolean nativeBlocks) {
    System.setProperty(KernelPolicy.SWITCH, nativeBlocks ? "native-blocks" : "fast");
    NeuralNetConfiguration.Builder base = base();
    ComputationGraphConfiguration.GraphBuilder graph = base.graphBuilder().addInputs("input");
    String out = GhostNetBuilder.bottleneck(spec, block, base, graph, "input");
    return network(graph, out, in);
  }

  private static ComputationGraph lossOnly(FeatureShape in) {
    return network(base().graphBuilder().addInputs("input"), "input", in);
  }

  private static NeuralNetConfiguration.Builder base() {
    return new NeuralNetConfiguration.Builder()
        .seed(1)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-3))
        .convolutionMode(ConvolutionMode.Truncate);
  }

  private static ComputationGraph network(
      ComputationGraphConfiguration.GraphBuilder graph, String out, FeatureShape in) {
    graph
        .addLayer(
            "loss",
            new CnnLossLayer.Builder(LossFunctions.LossFunction.MSE)
                .activation(Activation.IDENTITY)
                .build(),
            out)
        .setOutputs("loss")
        .setInputTypes(InputType.convolutional(in.height(), in.width(), in.channels()));
    ComputationGraph net = new ComputationGraph(graph.build());
    net.init();
    return net;
  }

  /** Median ms of {@code computeGradientAndScore} after {@code iterations / 2 + 3} warm-ups. */
  private static double time(ComputationGraph net, INDArray x, INDArray labels, int iterations) {
    net.setInputs(x);
    net.setLabels(labels);
    for (int i = 0; i < iterations / 2 + 3; i++) {
      net.computeGradientAndScore();
    }
    double[] ms = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      long start = System.nanoTime();
      net.computeGradientAndScore();
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    return iterations % 2 == 1
        ? ms[iterations / 2]
        : (ms[iterations / 2 - 1] + ms[iterations / 2]) / 2;
  }
}
