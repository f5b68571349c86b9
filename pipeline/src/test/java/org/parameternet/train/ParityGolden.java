package org.parameternet.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.UnfusedParameters;

/**
 * The PyTorch side of a step-parity run, as {@code tools/parity/step_parity.py} wrote it: the
 * recipe, the fixed minibatches, the initial and final parameters under pnet's layer names and
 * keys, the loss and learning rate of every step, and how far PyTorch's own float32 run ended from
 * its float64 one.
 */
final class ParityGolden {
  final String model;
  final JsonNode recipe;
  final double[] losses;
  final double[] lrs;
  final Map<String, Double> float32Spread;
  private final Map<String, float[]> tensors = new LinkedHashMap<>();

  private ParityGolden(JsonNode meta, float[] values) {
    model = meta.get("model").asText();
    recipe = meta.get("recipe");
    losses = doubles(meta.get("losses"));
    lrs = doubles(meta.get("lrs"));
    float32Spread = new LinkedHashMap<>();
    meta.get("float32_spread")
        .fields()
        .forEachRemaining(e -> float32Spread.put(e.getKey(), e.getValue().asDouble()));
    for (Iterator<Map.Entry<String, JsonNode>> it = meta.get("tensors").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int offset = e.getValue().get(0).asInt();
      int length = e.getValue().get(1).asInt();
      float[] t = new float[length];
      System.arraycopy(values, offset, t, 0, length);
      tensors.put(e.getKey(), t);
    }
  }

  static ParityGolden load(String model) throws IOException {
    JsonNode meta;
    try (InputStream in = resource(model + ".json")) {
      meta = new ObjectMapper().readTree(in);
    }
    byte[] bytes;
    try (InputStream in = resource(model + ".bin")) {
      bytes = in.readAllBytes();
    }
    float[] values = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return new ParityGolden(meta, values);
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = ParityGolden.class.getResourceAsStream("/parity/" + name);
    if (in == null) {
      throw new IOException("test resource /parity/" + name + " is missing");
    }
    return in;
  }

  int steps() {
    return recipe.get("steps").asInt();
  }

  int classes() {
    return recipe.get("classes").asInt();
  }

  /** Minibatch {@code k} of the fixed ones (step s uses {@code s % batches()}). */
  DataSet batch(int k) {
    int batch = recipe.get("batch").asInt();
    int res = recipe.get("resolution").asInt();
    int size = 3 * res * res;
    float[] all = tensors.get("data/features");
    float[] x = new float[batch * size];
    System.arraycopy(all, k * batch * size, x, 0, x.length);
    float[] labels = tensors.get("data/labels");
    float[] y = new float[batch * classes()];
    for (int i = 0; i < batch; i++) {
      int label = (int) labels[k * batch + i];
      LabelSmoothing.write(
          label, classes(), recipe.get("label_smoothing").asDouble(), y, i * classes());
    }
    return new DataSet(
        Nd4j.create(x, new long[] {batch, 3, res, res}),
        Nd4j.create(y, new long[] {batch, classes()}));
  }

  int batches() {
    int batch = recipe.get("batch").asInt();
    return tensors.get("data/labels").length / batch;
  }

  /** The names ({@code layer/key}) of every parameter PyTorch holds. */
  List<String> parameterNames() {
    List<String> names = new ArrayList<>();
    for (String k : tensors.keySet()) {
      if (k.startsWith("init/")) {
        names.add(k.substring("init/".length()));
      }
    }
    return names;
  }

  float[] tensor(String name) {
    return tensors.get(name);
  }

  float[] initial(String name) {
    return tensors.get("init/" + name);
  }

  float[] last(String name) {
    return tensors.get("final/" + name);
  }

  /** Sets every parameter of {@code net} to PyTorch's initial value; all of them must be named. */
  void initialise(ComputationGraph net) {
    long set = 0;
    for (String name : parameterNames()) {
      INDArray p = param(net, name);
      float[] v = initial(name);
      if (p.length() != v.length) {
        throw new IllegalStateException(
            name + ": pnet has " + p.length() + " values, PyTorch " + v.length);
      }
      p.assign(
          Nd4j.create(v, p.shape())); // golden values are C order; DL4J keeps dense weights in F
      set += v.length;
    }
    if (set != net.numParams()) {
      throw new IllegalStateException(
          "PyTorch's parameters cover " + set + " of pnet's " + net.numParams() + " values");
    }
  }

  /**
   * pnet's parameter for PyTorch's {@code layer/key}, by the unfused graph's key: inside a native
   * block as in an unfused layer.
   */
  static INDArray param(ComputationGraph net, String name) {
    String key = name.replace('/', '_');
    INDArray p = UnfusedParameters.of(net).get(key);
    if (p == null) {
      throw new IllegalStateException("pnet has no parameter " + key);
    }
    return p;
  }

  private static double[] doubles(JsonNode array) {
    double[] d = new double[array.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = array.get(i).asDouble();
    }
    return d;
  }
}
