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
 * bottleneck lay theirs out in a graph's flat vector: each conv + BN unit ({@link #units}) is a
 * conv's {@code W} (1x1: [out, in, 1, 1]; depthwise: [k, k, C, 1], DL4J's layout) and its BN's
 * gamma, beta, mean, var [C]; a squeeze-excite adds its two 1x1 convs' {@code b} and {@code W}
 * (before ghost module 2's units). The layers in the unfused graph's order ({@link
 * NativeBottleneck#getLayerOrder}, else the main path then the shortcut). Keys are the unfused
 * layer names' tails with hyphens for underscores ({@code ghost1-primary-conv-W} for the graph's
 * {@code <block>_ghost1_primary_conv_W}): DL4J finds a parameter's layer by the key's last
 * underscore. Gamma and beta being adjacent is what lets oneDNN read them as one [2, C] scale-shift
 * tensor in place.
 */
public final class NativeBottleneckParams implements ParamInitializer {
  public static final NativeBottleneckParams INSTANCE = new NativeBottleneckParams();

  /** One tensor of the bottleneck: its key, shape, and its fan-in when it is a conv's W or b. */
  record Tensor(String key, long[] shape, long fanIn) {
    long length() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    boolean isWeight() {
      return isWeightKey(key);
    }

    boolean isBias() {
      return isBiasKey(key);
    }
  }

  /** One unfused layer of the block ({@code ghost1_primary_conv}) and its tensors. */
  record Part(String layer, List<Tensor> tensors) {}

  /**
   * A conv + BN unit of the block: its name ({@code ghost1_primary}, {@code dw}, {@code sc_pw}),
   * channels in and out, depthwise or 1x1, and kernel.
   */
  record Unit(String name, long in, long out, boolean depthwise, int kernel, int experts) {
    String conv() {
      return name + "_conv";
    }

    String bn() {
      return name + "_bn";
    }
  }

  private NativeBottleneckParams() {}

  /** The key of parameter {@code param} of the unfused layer {@code layer} inside the block. */
  static String key(String layer, String param) {
    return layer.replace('_', '-') + "-" + param;
  }

  /** The key of unit {@code unit}'s conv weight. */
  static String weight(String unit) {
    return key(unit + "_conv", "W");
  }

  /** The key of unit {@code unit}'s BN {@code param} (gamma, beta, mean, var). */
  static String norm(String unit, String param) {
    return key(unit + "_bn", param);
  }

  /** Conv weights, a dynamic conv's experts and routing weights: what weight decay applies to. */
  static boolean isWeightKey(String key) {
    return key.endsWith("-W") || key.endsWith("-RW");
  }

  /** The SE convs' biases and a dynamic conv's routing bias. */
  static boolean isBiasKey(String key) {
    return key.endsWith("-b") || key.endsWith("-Rb");
  }

  static boolean isRunningStatistic(String key) {
    return key.endsWith("-bn-mean") || key.endsWith("-bn-var");
  }

  /** The block's conv + BN units, main path then shortcut. */
  static List<Unit> units(NativeBottleneck layer) {
    long in = layer.getNIn();
    long mid = layer.getMid();
    long out = layer.getNOut();
    int k = layer.getKernel();
    List<Unit> units = new ArrayList<>();
    int m = layer.getExperts();
    units.add(new Unit("ghost1_primary", in, mid / 2, false, 1, m));
    units.add(new Unit("ghost1_cheap", mid / 2, mid / 2, true, 3, m));
    if (layer.getStride() > 1) {
      units.add(new Unit("dw", mid, mid, true, k, 0));
    }
    units.add(new Unit("ghost2_primary", mid, out / 2, false, 1, m));
    units.add(new Unit("ghost2_cheap", out / 2, out / 2, true, 3, m));
    if (layer.hasShortcutConv()) {
      units.add(new Unit("sc_dw", in, in, true, k, m));
      units.add(new Unit("sc_pw", in, out, false, 1, m));
    }
    return units;
  }

  static List<Tensor> tensors(NativeBottleneck layer) {
    List<Part> parts = new ArrayList<>();
    for (Unit unit : units(layer)) {
      if (unit.name().equals("ghost2_primary") && layer.getSeReduced() > 0) {
        parts.add(seConv("se_reduce", layer.getMid(), layer.getSeReduced()));
        parts.add(seConv("se_expand", layer.getSeReduced(), layer.getMid()));
      }
      parts.add(new Part(unit.conv(), convTensors(unit)));
      List<Tensor> normTensors = new ArrayList<>();
      for (String param : new String[] {"gamma", "beta", "mean", "var"}) {
        normTensors.add(new Tensor(norm(unit.name(), param), new long[] {unit.out()}, 0));
      }
      parts.add(new Part(unit.bn(), normTensors));
    }
    List<Tensor> tensors = new ArrayList<>();
    inOrder(parts, layer.getLayerOrder()).forEach(part -> tensors.addAll(part.tensors()));
    return tensors;
  }

  /**
   * A unit's conv tensors: a static conv's {@code W} in DL4J's layout, or a dynamic conv's as
   * {@link DynamicConvParamInitializer} lays them out, experts {@code W} [M, |K|] (|K| = out x in
   * or C x k x k), routing {@code RW} [in, M] and {@code Rb} [1, M].
   */
  private static List<Tensor> convTensors(Unit unit) {
    long fanIn = unit.depthwise() ? (long) unit.kernel() * unit.kernel() : unit.in();
    if (unit.experts() == 0) {
      long[] shape =
          unit.depthwise()
              ? new long[] {unit.kernel(), unit.kernel(), unit.in(), 1}
              : new long[] {unit.out(), unit.in(), 1, 1};
      return List.of(new Tensor(weight(unit.name()), shape, fanIn));
    }
    long kernel = unit.depthwise() ? unit.in() * fanIn : unit.out() * unit.in();
    long m = unit.experts();
    return List.of(
        new Tensor(key(unit.conv(), "W"), new long[] {m, kernel}, fanIn),
        new Tensor(key(unit.conv(), "RW"), new long[] {unit.in(), m}, unit.in()),
        new Tensor(key(unit.conv(), "Rb"), new long[] {1, m}, unit.in()));
  }

  /** A squeeze-excite 1x1 conv with bias: DL4J lays out its bias [out] before its weights. */
  private static Part seConv(String layer, long in, long out) {
    return new Part(
        layer,
        List.of(
            new Tensor(key(layer, "b"), new long[] {out}, in),
            new Tensor(key(layer, "W"), new long[] {out, in, 1, 1}, in)));
  }

  /** {@code parts} in {@code order} (unfused layer names; others in it are skipped), or as is. */
  private static List<Part> inOrder(List<Part> parts, List<String> order) {
    if (order == null) {
      return parts;
    }
    Map<String, Part> byLayer = new LinkedHashMap<>();
    parts.forEach(part -> byLayer.put(part.layer(), part));
    List<Part> ordered = new ArrayList<>();
    for (String layer : order) {
      Part part = byLayer.remove(layer);
      if (part != null) {
        ordered.add(part);
      }
    }
    if (!byLayer.isEmpty()) {
      throw new IllegalStateException("layer order " + order + " misses " + byLayer.keySet());
    }
    return ordered;
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

  /** The SE convs' biases; BN parameters are not biases to DL4J either. */
  @Override
  public List<String> biasKeys(Layer layer) {
    return tensors((NativeBottleneck) layer).stream()
        .filter(Tensor::isBias)
        .map(Tensor::key)
        .toList();
  }

  @Override
  public boolean isWeightParam(Layer layer, String key) {
    return isWeightKey(key);
  }

  @Override
  public boolean isBiasParam(Layer layer, String key) {
    return isBiasKey(key);
  }

  /**
   * Conv weights and biases as PyTorch's default U(+-1/sqrt(fan-in)); BN gamma 1, beta 0, mean 0,
   * var 1.
   */
  @Override
  public Map<String, INDArray> init(
      NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
    NativeBottleneck layer = (NativeBottleneck) conf.getLayer();
    Map<String, INDArray> params = split(layer, paramsView);
    if (initializeParams) {
      for (Tensor t : tensors(layer)) {
        INDArray view = params.get(t.key());
        if (t.fanIn() > 0) {
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
