package org.parameternet.model.layers;

import static org.parameternet.model.layers.NativeBottleneckParams.key;

import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.memory;
import org.parameternet.model.layers.SqueezeExciteGate.Weights;

/**
 * The squeeze-excite of a {@link BottleneckPlan}: global average pool, the gate ({@link
 * SqueezeExciteGate}, Java on the [B, C] vectors), and the channel scale. The passes over the [B,
 * C, H, W] map are oneDNN's: the pool a mean reduction, the scale a multiply broadcasting the gate;
 * backward, the gate's gradient a multiply then a sum reduction, the map's a broadcast multiply
 * plus the pool's share broadcast-added. Its parameters ({@code se_reduce}, {@code se_expand}: 1x1
 * conv weights and biases) are read from and their gradients written to DL4J's views, as the
 * unfused graph's layers hold them.
 */
final class DnnlSqueezeExcite {
  private static final String[] LAYERS = {"se_reduce", "se_reduce", "se_expand", "se_expand"};
  private static final String[] PARAMS = {"W", "b", "W", "b"};

  private final DnnlProgram p;
  private final memory.desc map;
  private final memory.desc vector;
  private final int channels;
  private final int reduced;
  private final int plane;
  private final SqueezeExciteGate gate;
  private final memory[] params = new memory[4];
  private final memory[] gradients = new memory[4];

  private memory features;
  private memory gateValues;

  /** A squeeze-excite over maps of {@code map}, reducing to {@code reduced} with {@code act}. */
  DnnlSqueezeExcite(DnnlProgram p, memory.desc map, int reduced, int activation) {
    this.p = p;
    this.map = map;
    this.reduced = reduced;
    long[] dims = DnnlProgram.dims(map);
    int batch = (int) dims[0];
    channels = (int) dims[1];
    plane = (int) (dims[2] * dims[3]);
    vector = p.desc(new long[] {batch, channels, 1, 1}, memory.format_tag.nchw);
    gate = new SqueezeExciteGate(batch, channels, reduced, activation);
    long[] sizes = {(long) reduced * channels, reduced, (long) channels * reduced, channels};
    for (int i = 0; i < 4; i++) {
      memory.desc flat = p.desc(new long[] {sizes[i]}, memory.format_tag.a);
      String param = key(LAYERS[i], PARAMS[i]);
      params[i] = p.bound(flat, param);
      if (p.training) {
        gradients[i] = p.bound(flat, BottleneckPlan.gradient(param));
      }
    }
  }

  /** Appends the squeeze-excite of {@code in} (laid out as the map); returns the scaled map. */
  memory forward(memory in) {
    features = p.ensure(p.forward, in, map);
    memory pooled = p.scratch(vector);
    p.reduce(p.forward, algorithm.reduction_mean, features, pooled);
    gateValues = p.scratch(vector);
    p.forward.add(
        s -> {
          s._wait();
          float[] g = new float[(int) (vector.get_size() / Float.BYTES)];
          gate.forward(DnnlProgram.read(pooled), read(params), g);
          DnnlProgram.write(g, gateValues);
        });
    memory scaled = p.scratch(map);
    p.binary(p.forward, algorithm.binary_mul, features, gateValues, scaled);
    return scaled;
  }

  /** Appends the backward pass from the scaled map's gradient; returns the input map's. */
  memory backward(memory dScaled) {
    memory d = p.ensure(p.backward, dScaled, map);
    memory product = p.scratch(map);
    p.binary(p.backward, algorithm.binary_mul, d, features, product);
    memory dGate = p.scratch(vector);
    p.reduce(p.backward, algorithm.reduction_sum, product, dGate);
    memory dPooledShare = p.scratch(vector);
    p.backward.add(s -> gateBackward(s, dGate, dPooledShare));
    memory dFeatures = p.scratch(map);
    p.binary(p.backward, algorithm.binary_mul, d, gateValues, dFeatures);
    p.binary(p.backward, algorithm.binary_add, dFeatures, dPooledShare, dFeatures);
    return dFeatures;
  }

  /** The gate's backward; the pool's gradient per pixel, {@code dPooled / plane}, to the map's. */
  private void gateBackward(org.bytedeco.dnnl.stream s, memory dGate, memory dPooledShare) {
    s._wait();
    float[] dPooled = new float[(int) (vector.get_size() / Float.BYTES)];
    Weights g = Weights.zeros(channels, reduced);
    gate.backward(DnnlProgram.read(dGate), read(params), g, dPooled);
    for (int i = 0; i < dPooled.length; i++) {
      dPooled[i] /= plane;
    }
    DnnlProgram.write(dPooled, dPooledShare);
    float[][] values = {g.reduce(), g.reduceBias(), g.expand(), g.expandBias()};
    for (int i = 0; i < 4; i++) {
      DnnlProgram.write(values[i], gradients[i]);
    }
  }

  private static Weights read(memory[] m) {
    return new Weights(
        DnnlProgram.read(m[0]),
        DnnlProgram.read(m[1]),
        DnnlProgram.read(m[2]),
        DnnlProgram.read(m[3]));
  }
}
