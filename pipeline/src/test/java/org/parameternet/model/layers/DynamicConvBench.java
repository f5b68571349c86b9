package org.parameternet.model.layers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;

/**
 * Milliseconds per training forward + backward of each layer of a whole network, alone on the input
 * the network's forward pass gives it, summed by layer kind (a {@link DynamicConv} by its form):
 * where a ParameterNet step spends its time against GhostNet's. No JUnit; run with the test
 * classpath (tools/native-bench.sh's set-up, main class this one).
 *
 * <p>Arguments: {@code model batch [iterations] [resolution]}.
 */
public final class DynamicConvBench {
  private DynamicConvBench() {}

  /**
   * {@code ab model batch rounds}: one network, whole training steps (forward + backward) with the
   * dynamic convs' new paths off ({@code -Dpnet.dynamic.matmul=false -Dpnet.dynamic.routing=false})
   * and on, alternating step by step so that the machine's drift hits both alike; medians.
   */
  private static void ab(ModelSpec spec, int batch, int rounds) {
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, spec.resolution(), spec.resolution());
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, spec.numClasses());
    for (int i = 0; i < batch; i++) {
      labels.putScalar(i, i % spec.numClasses(), 1);
    }
    net.setInputs(x);
    net.setLabels(labels);
    String[] configs = {"off", "matmul", "on"};
    double[][] ms = new double[configs.length][rounds];
    for (int r = -2; r < rounds; r++) {
      for (int c = 0; c < configs.length; c++) {
        System.setProperty(KernelPolicy.DYNAMIC_MATMUL, String.valueOf(!configs[c].equals("off")));
        System.setProperty(KernelPolicy.JAVA_ROUTING, String.valueOf(configs[c].equals("on")));
        long start = System.nanoTime();
        net.computeGradientAndScore();
        if (r >= 0) {
          ms[c][r] = (System.nanoTime() - start) / 1e6;
        }
      }
    }
    for (int c = 0; c < configs.length; c++) {
      double[] sorted = ms[c].clone();
      Arrays.sort(sorted);
      System.out.printf(
          "%s batch %d, dynamic paths %-6s: median %.1f ms per step (forward + backward), %s%n",
          spec.name(), batch, configs[c], sorted[rounds / 2], Arrays.toString(ms[c]));
    }
  }

  public static void main(String[] args) {
    if (args[0].equals("ab")) {
      ab(
          ModelRegistry.get(args[1]).withClasses(1000),
          Integer.parseInt(args[2]),
          Integer.parseInt(args[3]));
      return;
    }
    ModelSpec spec = ModelRegistry.get(args[0]).withClasses(1000);
    int batch = Integer.parseInt(args[1]);
    int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    ComputationGraph net = GhostNetBuilder.build(spec, 1);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, spec.resolution(), spec.resolution());
    INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, spec.numClasses());
    for (int i = 0; i < batch; i++) {
      labels.putScalar(i, i % spec.numClasses(), 1);
    }
    net.setInputs(x);
    net.setLabels(labels);
    net.computeGradientAndScore(); // gradient views
    Map<String, INDArray> acts = net.feedForward(x, true);
    Map<String, Double> byKind = new TreeMap<>();
    List<String> lines = new ArrayList<>();
    LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
    double total = 0;
    for (GraphVertex v : net.getVertices()) {
      if (!v.hasLayer()) {
        continue;
      }
      Layer layer = v.getLayer();
      String[] inputs =
          net.getConfiguration().getVertexInputs().get(v.getVertexName()).toArray(new String[0]);
      INDArray in = acts.get(inputs[0]);
      if (in == null
          || layer.getClass().getSimpleName().contains("Output")
          || (v instanceof org.deeplearning4j.nn.graph.vertex.impl.LayerVertex lv
              && lv.getLayerPreProcessor() != null)) {
        continue;
      }
      String kind = layer.getClass().getName().replaceAll(".*\\.", "");
      if (layer instanceof DynamicConvLayer d) {
        kind += "." + d.layerConf().form();
      }
      double[] ms = new double[iterations];
      for (int i = -2; i < iterations; i++) {
        long start = System.nanoTime();
        layer.setInput(in, mgr);
        INDArray out = layer.activate(true, mgr);
        layer.backpropGradient(out, mgr);
        if (i >= 0) {
          ms[i] = (System.nanoTime() - start) / 1e6;
        }
      }
      Arrays.sort(ms);
      double median = ms[iterations / 2];
      total += median;
      byKind.merge(kind, median, Double::sum);
      lines.add(
          String.format(
              "  %-28s %-40s %s %.2f ms",
              v.getVertexName(), kind, Arrays.toString(in.shape()), median));
    }
    System.out.printf("%s batch %d: per-layer fwd+bwd, total %.1f ms%n", spec.name(), batch, total);
    byKind.forEach((k, ms) -> System.out.printf("  %-48s %8.1f ms%n", k, ms));
    if (System.getProperty("bench.layers") != null) {
      lines.forEach(System.out::println);
    }
  }
}
