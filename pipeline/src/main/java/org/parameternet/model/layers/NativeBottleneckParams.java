package org.parameternet.model.layers;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Parameters of a {@link NativeBottleneck}, laid out exactly as the unfused layers of the
 * bottleneck lay theirs out in a graph's flat vector: for ghost module 1 then 2, the primary 1x1
 * conv's {@code W} [out, in, 1, 1], its BN's gamma, beta, mean, var [C], the cheap depthwise conv's
 * {@code W} [3, 3, C, 1] (DL4J's depthwise layout) and its BN's four. Keys are the unfused layer
 * names' tails with hyphens for underscores ({@code ghost1-primary-conv-W} for the graph's {@code
 * <block>_ghost1_primary_conv_W}): DL4J finds a parameter's layer by the key's last underscore.
 * Gamma and beta being adjacent is what lets oneDNN read them as one [2, C] scale-shift tensor in
 * place.
 */
public final class NativeBottleneckParams implements ParamInitializer {
  public static final NativeBottleneckParams INSTANCE = new NativeBottleneckParams();

  /** One tensor of the bottleneck: its key, shape, and its fan-in when it is a conv weight. */
  record Tensor(String key, long[] shape, long fanIn) {
    long length() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    boolean isWeight() {
      return fanIn > 0;
    }
  }

  private NativeBottleneckParams() {}

  /** The key of a conv's weight, {@code ghost}: 1 or 2, {@code part}: primary or cheap. */
  static String weight(int ghost, String part) {
    return "ghost" + ghost + "-" + part + "-conv-W";
  }

  /** The key of a BN's {@code param} (gamma, beta, mean, var). */
  static String norm(int ghost, String part, String param) {
    return "ghost" + ghost + "-" + part + "-bn-" + param;
  }

  static boolean isRunningStatistic(String key) {
    return key.endsWith("-bn-mean") || key.endsWith("-bn-var");
  }

  static List<Tensor> tensors(NativeBottleneck layer) {
    long in = layer.getNIn();
    List<Tensor> tensors = new ArrayList<>();
    long[] widths = {layer.getMid() / 2, layer.getNOut() / 2};
    for (int ghost = 1; ghost <= 2; ghost++) {
      long half = widths[ghost - 1];
      long primaryIn = ghost == 1 ? in : layer.getMid();
      tensors.add(
          new Tensor(weight(ghost, "primary"), new long[] {half, primaryIn, 1, 1}, primaryIn));
      addNorm(tensors, ghost, "primary", half);
      tensors.add(new Tensor(weight(ghost, "cheap"), new long[] {3, 3, half, 1}, 9));
      addNorm(tensors, ghost, "cheap", half);
    }
    return tensors;
  }

  private static void addNorm(List<Tensor> tensors, int ghost, String part, long channels) {
    for (String param : new String[] {"gamma", "beta", "mean", "var"}) {
      tensors.add(new Tensor(norm(ghost, part, param), new long[] {channels}, 0));
    }
  }

  @Override
  public long numParams(NeuralNetConfiguration conf) {
    return numParams(conf.getLayer());
  }

  @Override
  public long numParams(Layer layer) {
    return tensors((NativeBottleneck) layer).stream().mapToLong(Tensor::length).sum();
  }

  @Override
  public List<String> paramKeys(Layer layer) {
    return tensors((NativeBottleneck) layer).stream().map(Tensor::key).toList();
  }

  @Override
  public List<String> weightKeys(Layer layer) {
    return tensors((NativeBottleneck) layer).stream()
        .filter(Tensor::isWeight)
        .map(Tensor::key)
        .toList();
  }

  /** None: BN parameters are not biases to DL4J either (no bias regularisation reaches them). */
  @Override
  public List<String> biasKeys(Layer layer) {
    return List.of();
  }

  @Override
  public boolean isWeightParam(Layer layer, String key) {
    return key.endsWith("-conv-W");
  }

  @Override
  public boolean isBiasParam(Layer layer, String key) {
    return false;
  }

  /** Conv weights as PyTorch's default U(+-1/sqrt(fan-in)); BN gamma 1, beta 0, mean 0, var 1. */
  @Override
  public Map<String, INDArray> init(
      NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
    NativeBottleneck layer = (NativeBottleneck) conf.getLayer();
    Map<String, INDArray> params = split(layer, paramsView);
    if (initializeParams) {
      for (Tensor t : tensors(layer)) {
        INDArray view = params.get(t.key());
        if (t.isWeight()) {
          double bound = 1 / Math.sqrt(t.fanIn());
          view.assign(Nd4j.rand(view.dataType(), view.shape()).muli(2 * bound).subi(bound));
        } else {
          boolean one = t.key().endsWith("-gamma") || t.key().endsWith("-var");
          view.assign(one ? 1 : 0);
        }
      }
    }
    params.keySet().forEach(conf::addVariable);
    return params;
  }

  @Override
  public Map<String, INDArray> getGradientsFromFlattened(
      NeuralNetConfiguration conf, INDArray gradientView) {
    return split((NativeBottleneck) conf.getLayer(), gradientView);
  }

  private static Map<String, INDArray> split(NativeBottleneck layer, INDArray flat) {
    INDArray row = flat.reshape(flat.length());
    Map<String, INDArray> views = new LinkedHashMap<>();
    long start = 0;
    for (Tensor t : tensors(layer)) {
      INDArray view = row.get(NDArrayIndex.interval(start, start + t.length()));
      views.put(t.key(), view.reshape('c', t.shape()));
      start += t.length();
    }
    return views;
  }
}
