package org.parameternet.model.layers;

import static org.parameternet.model.layers.NativeBottleneckParams.key;

import java.util.Arrays;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;
import org.parameternet.model.layers.SqueezeExciteGate.Weights;

/**
 * The squeeze-excite of a {@link BottleneckPlan}: global average pool, the gate ({@link
 * SqueezeExciteGate}, on the [B, C] vectors), and the channel scale, as Java steps over a copy of
 * the map in NHWC or NCHW ({@link KernelPolicy#planarSqueezeExcite}), one sample at a time. oneDNN
 * 2.5 has no optimised kernel for a mean over the plane or a multiply broadcasting a [B, C] gate:
 * its reduction and binary primitives ran those on their reference kernels (42 and 28 ms of a 380
 * ms ghostnet_small_64 step, most of its SE blocks' time), and in Java each is one pass over the
 * map. Backward, one pass gives the gate's gradient (the sum of the output gradient times the map)
 * and a second the map's (the output gradient times the gate plus the pool's share). Where its
 * output is a dynamic conv's input, it does that conv's routing pool ({@link RoutingPoolSource}):
 * the output's plane means are the gate times the input's, which the forward pass has, and the
 * pool's gradient, the same on every value of a plane, folds into the gate's gradient and the
 * per-plane constant of the map's. Its parameters ({@code se_reduce}, {@code se_expand}: 1x1 conv
 * weights and biases) are read from and their gradients written to DL4J's views, as the unfused
 * graph's layers hold them.
 */
final class DnnlSqueezeExcite implements RoutingPoolSource {
  private static final String[] LAYERS = {"se_reduce", "se_reduce", "se_expand", "se_expand"};
  private static final String[] PARAMS = {"W", "b", "W", "b"};

  private final DnnlProgram p;

  /** The map's dims in the layout every pass here reads and writes. */
  private final memory.desc map;

  /** Whether {@link #map} is NCHW (each channel's plane contiguous) rather than NHWC. */
  private final boolean planar;

  private final int batch;
  private final int channels;
  private final int reduced;
  private final int plane;
  private final SqueezeExciteGate gate;
  private final memory[] params = new memory[4];
  private final memory[] gradients = new memory[4];

  /**
   * The gate as oneDNN matmuls in the plan ({@link DnnlSqueezeExciteGate}, {@link
   * KernelPolicy#dnnlSqueezeExciteGate}), or null for {@link #gate}'s sgemms on Java arrays.
   */
  private final DnnlSqueezeExciteGate dnnlGate;

  /** The last forward pass's input map, for the backward pass. */
  private memory features;

  /** The routing pools of the dynamic convs that read the output (at most ghost module 2's). */
  private final RoutingPools routingPools;

  /** The pools' gradient per plane [B * C] of the backward pass under way; null: none. */
  private float[] routingGradient;

  /** [B, C] each: the pooled map, the gate, their gradients; the parameters and theirs. */
  private final float[] pooled;

  private final float[] gateValues;
  private final float[] dGate;
  private final float[] dPooled;

  /** What the map's gradient adds on every value of plane (n, c), at [n * C + c]. */
  private final float[] planeShift;

  private final Weights weights;
  private final Weights grads;

  /**
   * A squeeze-excite over maps of {@code dims} (NCHW order), reducing to {@code reduced}, on NCHW
   * copies if {@code planar}, else NHWC.
   */
  DnnlSqueezeExcite(DnnlProgram p, long[] dims, int reduced, int activation, boolean planar) {
    this.p = p;
    this.reduced = reduced;
    this.planar = planar;
    map = p.desc(dims, planar ? memory.format_tag.nchw : memory.format_tag.nhwc);
    batch = (int) dims[0];
    channels = (int) dims[1];
    plane = (int) (dims[2] * dims[3]);
    pooled = new float[batch * channels];
    gateValues = new float[batch * channels];
    dGate = new float[batch * channels];
    dPooled = new float[batch * channels];
    planeShift = new float[batch * channels];
    routingPools = new RoutingPools(batch, channels);
    weights = Weights.zeros(channels, reduced);
    grads = Weights.zeros(channels, reduced);
    if (KernelPolicy.dnnlSqueezeExciteGate()) {
      dnnlGate = new DnnlSqueezeExciteGate(p, batch, channels, reduced, activation);
      gate = null;
      return;
    }
    dnnlGate = null;
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

  @Override
  public RoutingPools routingPools() {
    return routingPools;
  }

  @Override
  public memory.desc dstDesc() {
    return map;
  }

  /**
   * Appends the squeeze-excite of {@code in} (any layout); returns the scaled map ({@link #map}).
   */
  memory forward(memory in) {
    features = p.ensure(p.forward, in, map);
    memory scaled = p.scratch(map);
    memory x = features;
    if (dnnlGate == null) {
      p.java(
          p.forward,
          "squeeze-excite",
          s -> {
            s._wait();
            pool(floats(x));
            gate.forward(pooled, read(params, weights), gateValues);
            scale(floats(x), floats(scaled));
            publishRoutingPool();
          });
      return scaled;
    }
    p.java(
        p.forward,
        "squeeze-excite pool",
        s -> {
          s._wait();
          pool(floats(x));
          dnnlGate.putPooled(pooled);
        });
    dnnlGate.forward(p.forward);
    p.java(
        p.forward,
        "squeeze-excite scale",
        s -> {
          s._wait();
          dnnlGate.gate(gateValues);
          scale(floats(x), floats(scaled));
          publishRoutingPool();
        });
    return scaled;
  }

  /**
   * Appends the backward pass from the scaled map's gradient; returns the input map's ({@link
   * #map}).
   */
  memory backward(memory dScaled) {
    memory d = p.ensure(p.backward, dScaled, map);
    memory dFeatures = p.scratch(map);
    if (dnnlGate == null) {
      p.java(
          p.backward,
          "squeeze-excite backward",
          s -> {
            s._wait();
            routingGradient = routingPools.gradients();
            gateGradient(floats(d), floats(features));
            gate.backward(dGate, read(params, weights), grads, dPooled);
            scaleBackward(floats(d), floats(dFeatures));
            float[][] values = {
              grads.reduce(), grads.reduceBias(), grads.expand(), grads.expandBias()
            };
            for (int i = 0; i < 4; i++) {
              DnnlProgram.write(values[i], gradients[i]);
            }
          });
      return dFeatures;
    }
    p.java(
        p.backward,
        "squeeze-excite gate gradient",
        s -> {
          s._wait();
          routingGradient = routingPools.gradients();
          gateGradient(floats(d), floats(features));
          dnnlGate.putGateGradient(dGate);
        });
    dnnlGate.backward(p.backward);
    p.java(
        p.backward,
        "squeeze-excite backward scale",
        s -> {
          s._wait();
          dnnlGate.pooledGradient(dPooled);
          scaleBackward(floats(d), floats(dFeatures));
        });
    return dFeatures;
  }

  /** {@link #pooled} = the mean over the plane of map {@code in}. */
  private void pool(FloatPointer in) {
    Arrays.fill(pooled, 0f);
    forEachSample(
        n -> {
          float[] xs = sample(in, n, 0);
          int g = n * channels;
          if (planar) {
            // FusedBatchNorm's SIMD sums: a scalar sum is one dependent add per value
            for (int c = 0, at = 0; c < channels; c++, at += plane) {
              pooled[g + c] = FusedBatchNorm.planeSum(xs, at, plane);
            }
          } else {
            for (int i = 0, at = 0; i < plane; i++, at += channels) {
              for (int c = 0; c < channels; c++) {
                pooled[g + c] += xs[at + c];
              }
            }
          }
          for (int c = 0; c < channels; c++) {
            pooled[g + c] /= plane;
          }
        });
  }

  /** {@code out} = map {@code in} times {@link #gateValues}, per sample and channel. */
  private void scale(FloatPointer in, FloatPointer out) {
    forEachSample(
        n -> {
          float[] xs = sample(in, n, 0);
          int g = n * channels;
          if (planar) {
            for (int c = 0, at = 0; c < channels; c++, at += plane) {
              float gate = gateValues[g + c];
              for (int i = at; i < at + plane; i++) {
                xs[i] *= gate;
              }
            }
          } else {
            for (int i = 0, at = 0; i < plane; i++, at += channels) {
              for (int c = 0; c < channels; c++) {
                xs[at + c] *= gateValues[g + c];
              }
            }
          }
          put(out, n, xs);
        });
  }

  /**
   * {@link #dGate} = the sum over the plane of the output gradient {@code d} times map {@code x}.
   */
  private void gateGradient(FloatPointer d, FloatPointer x) {
    Arrays.fill(dGate, 0f);
    forEachSample(
        n -> {
          float[] ds = sample(d, n, 0);
          float[] xs = sample(x, n, 1);
          int g = n * channels;
          if (planar) {
            float[] sums = PlaneWork.scratch(2, 2); // sums[1]: the sum of ds * (xs - 0)
            for (int c = 0, at = 0; c < channels; c++, at += plane) {
              FusedBatchNorm.planeGradientSums(ds, xs, at, plane, 0f, sums);
              dGate[g + c] = sums[1];
            }
          } else {
            for (int i = 0, at = 0; i < plane; i++, at += channels) {
              for (int c = 0; c < channels; c++) {
                dGate[g + c] += ds[at + c] * xs[at + c];
              }
            }
          }
          if (routingGradient != null) {
            // the pool's gradient is on every value of the plane: times the plane's sum of x
            for (int c = g; c < g + channels; c++) {
              dGate[c] += routingGradient[c] * plane * pooled[c];
            }
          }
        });
  }

  /**
   * The map's gradient: output gradient {@code d} times the gate, plus the pool's share and the
   * routing pools' gradient times the gate, both the same over a plane ({@link #planeShift}).
   */
  private void scaleBackward(FloatPointer d, FloatPointer out) {
    float share = 1f / plane;
    for (int i = 0; i < dPooled.length; i++) {
      float routing = routingGradient == null ? 0f : routingGradient[i] * gateValues[i];
      planeShift[i] = dPooled[i] * share + routing;
    }
    forEachSample(
        n -> {
          float[] ds = sample(d, n, 0);
          int g = n * channels;
          if (planar) {
            for (int c = 0, at = 0; c < channels; c++, at += plane) {
              float gate = gateValues[g + c];
              float shift = planeShift[g + c];
              for (int i = at; i < at + plane; i++) {
                ds[i] = ds[i] * gate + shift;
              }
            }
          } else {
            for (int i = 0, at = 0; i < plane; i++, at += channels) {
              for (int c = 0; c < channels; c++) {
                ds[at + c] = ds[at + c] * gateValues[g + c] + planeShift[g + c];
              }
            }
          }
          put(out, n, ds);
        });
  }

  /** The output's plane means, the gate times the input's, into the routing pools (if any). */
  private void publishRoutingPool() {
    float[] means = routingPools.means();
    if (means != null) {
      for (int i = 0; i < means.length; i++) {
        means[i] = gateValues[i] * pooled[i];
      }
      routingPools.publish();
    }
  }

  private void forEachSample(java.util.function.IntConsumer body) {
    PlaneWork.forEachChannel(batch, (long) batch * plane * channels, body);
  }

  private FloatPointer floats(memory m) {
    return DnnlProgram.floats(m, (long) batch * plane * channels);
  }

  /** Sample {@code n} of the map, copied into this thread's scratch {@code slot}. */
  private float[] sample(FloatPointer m, int n, int slot) {
    int length = plane * channels;
    float[] values = PlaneWork.scratch(slot, length);
    new FloatPointer(m).position((long) n * length).get(values, 0, length);
    return values;
  }

  private void put(FloatPointer m, int n, float[] values) {
    int length = plane * channels;
    new FloatPointer(m).position((long) n * length).put(values, 0, length);
  }

  /** The parameters' current values, into {@code w}'s arrays. */
  private static Weights read(memory[] m, Weights w) {
    float[][] values = {w.reduce(), w.reduceBias(), w.expand(), w.expandBias()};
    for (int i = 0; i < 4; i++) {
      new FloatPointer(m[i].get_data_handle()).capacity(values[i].length).get(values[i]);
    }
    return w;
  }
}
