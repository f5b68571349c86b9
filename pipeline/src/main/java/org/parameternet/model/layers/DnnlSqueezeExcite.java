package org.parameternet.model.layers;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.parameternet.model.layers.NativeBottleneckParams.key;

import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.bytedeco.dnnl.inner_product_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.parameternet.model.layers.SqueezeExciteGate.Weights;

/**
 * The squeeze-excite of a {@link BottleneckPlan}: global average pool, the gate ({@link
 * SqueezeExciteGate}, on the [B, C] vectors), and the channel scale, as Java steps over an NHWC
 * copy of the map, one sample at a time. oneDNN 2.5 has no optimised kernel for a mean over the
 * plane or a multiply broadcasting a [B, C] gate: its reduction and binary primitives ran those on
 * their reference kernels (42 and 28 ms of a 380 ms ghostnet_small_64 step, most of its SE blocks'
 * time), and in Java each is one pass over the map. Backward, one pass gives the gate's gradient
 * (the sum of the output gradient times the map) and a second the map's (the output gradient times
 * the gate plus the pool's share). Its parameters ({@code se_reduce}, {@code se_expand}: 1x1 conv
 * weights and biases) are read from and their gradients written to DL4J's views, as the unfused
 * graph's layers hold them.
 *
 * <p>In an inference plan the gate's two 1x1 convs are oneDNN inner products reading DL4J's weight
 * views in place ({@link KernelPolicy#nativeSqueezeExciteGate}): the Java gate copies every weight
 * out of and back into native memory each call (12.8 MB a GhostNet-300M forward pass), which was
 * 14.7 of its 31 ms batch-1 latency in the native profile.
 */
final class DnnlSqueezeExcite {
  private static final String[] LAYERS = {"se_reduce", "se_reduce", "se_expand", "se_expand"};
  private static final String[] PARAMS = {"W", "b", "W", "b"};

  private final DnnlProgram p;

  /** The map's dims in NHWC, the layout every pass here reads and writes. */
  private final memory.desc map;

  private final int batch;
  private final int channels;
  private final int reduced;
  private final int plane;
  private final SqueezeExciteGate gate;
  private final memory[] params = new memory[4];
  private final memory[] gradients = new memory[4];

  /** The last forward pass's input map (NHWC) and gate [B, C], for the backward pass. */
  private memory features;

  private final float[] gateValues;

  /** A squeeze-excite over maps of {@code dims} (NCHW order), reducing to {@code reduced}. */
  DnnlSqueezeExcite(DnnlProgram p, long[] dims, int reduced, int activation) {
    this.p = p;
    this.reduced = reduced;
    map = p.desc(dims, memory.format_tag.nhwc);
    batch = (int) dims[0];
    channels = (int) dims[1];
    plane = (int) (dims[2] * dims[3]);
    gate = new SqueezeExciteGate(batch, channels, reduced, activation);
    gateValues = new float[batch * channels];
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

  /** Appends the squeeze-excite of {@code in} (any layout); returns the scaled map (NHWC). */
  memory forward(memory in) {
    features = p.ensure(p.forward, in, map);
    memory scaled = p.scratch(map);
    memory x = features;
    if (!p.training && KernelPolicy.nativeSqueezeExciteGate()) {
      inferenceForward(x, scaled);
    } else {
      p.java(p.forward, "squeeze-excite", s -> scaleForward(s, x, scaled));
    }
    return scaled;
  }

  /**
   * The inference pass: the pool (Java), the gate's two 1x1 convs as inner products over DL4J's
   * weight views, the reduce's activation as their post-op, then gate and scale (Java).
   */
  private void inferenceForward(memory x, memory scaled) {
    memory pooled = p.scratch(p.desc(new long[] {batch, channels}, memory.format_tag.ab));
    memory hidden = p.scratch(p.desc(new long[] {batch, reduced}, memory.format_tag.ab));
    memory raw = p.scratch(p.desc(new long[] {batch, channels}, memory.format_tag.ab));
    p.java(p.forward, "squeeze-excite pool", s -> pool(s, x, pooled));
    innerProduct("se_reduce", pooled, hidden, reduced, channels, gate.activation());
    innerProduct("se_expand", hidden, raw, channels, reduced, FusedBatchNorm.IDENTITY);
    p.java(p.forward, "squeeze-excite scale", s -> scale(s, x, raw, scaled));
  }

  /** Appends {@code dst [B, out] = act(src [B, in] x W^T + b)}, W and b layer {@code layer}'s. */
  private void innerProduct(String layer, memory src, memory dst, int out, int in, int act) {
    memory weights = p.bound(p.desc(new long[] {out, in}, memory.format_tag.ab), key(layer, "W"));
    memory bias = p.bound(p.desc(new long[] {out}, memory.format_tag.a), key(layer, "b"));
    inner_product_forward.desc d =
        p.own(
            new inner_product_forward.desc(
                prop_kind.forward_inference,
                src.get_desc(),
                weights.get_desc(),
                bias.get_desc(),
                dst.get_desc()));
    primitive_attr attr = p.attr();
    if (act != FusedBatchNorm.IDENTITY) {
      post_ops ops = p.own(new post_ops());
      ops.append_eltwise(
          1f,
          act == FusedBatchNorm.RELU ? algorithm.eltwise_relu : algorithm.eltwise_hardswish,
          0f,
          0f);
      attr.set_post_ops(ops);
    }
    inner_product_forward.primitive_desc pd =
        p.own(new inner_product_forward.primitive_desc(d, attr, p.eng));
    p.add(
        p.forward,
        pd,
        new inner_product_forward(pd),
        p.args(
            DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, weights, DNNL_ARG_BIAS, bias, DNNL_ARG_DST, dst));
  }

  /** {@code pooled [B, C]} = the mean of NHWC map {@code x} over its plane. */
  private void pool(stream s, memory x, memory pooled) {
    s._wait();
    FloatPointer in = floats(x);
    float[] sums = new float[batch * channels];
    for (int n = 0; n < batch; n++) {
      float[] xs = sample(in, n, 0);
      int g = n * channels;
      for (int i = 0, at = 0; i < plane; i++, at += channels) {
        for (int c = 0; c < channels; c++) {
          sums[g + c] += xs[at + c];
        }
      }
    }
    for (int i = 0; i < sums.length; i++) {
      sums[i] /= plane;
    }
    DnnlProgram.write(sums, pooled);
  }

  /** {@code scaled = x * relu6(raw + 3) / 6}, the gate broadcast over each sample's plane. */
  private void scale(stream s, memory x, memory raw, memory scaled) {
    s._wait();
    float[] g = DnnlProgram.read(raw);
    for (int i = 0; i < g.length; i++) {
      g[i] = Math.min(Math.max(g[i] + 3f, 0f), 6f) * (1f / 6f);
    }
    FloatPointer in = floats(x);
    FloatPointer out = floats(scaled);
    for (int n = 0; n < batch; n++) {
      float[] xs = sample(in, n, 0);
      int at0 = n * channels;
      for (int i = 0, at = 0; i < plane; i++, at += channels) {
        for (int c = 0; c < channels; c++) {
          xs[at + c] *= g[at0 + c];
        }
      }
      put(out, n, xs);
    }
  }

  /** Appends the backward pass from the scaled map's gradient; returns the input map's (NHWC). */
  memory backward(memory dScaled) {
    memory d = p.ensure(p.backward, dScaled, map);
    memory dFeatures = p.scratch(map);
    p.java(p.backward, "squeeze-excite backward", s -> scaleBackward(s, d, dFeatures));
    return dFeatures;
  }

  private void scaleForward(stream s, memory x, memory scaled) {
    s._wait();
    FloatPointer in = floats(x);
    float[] pooled = new float[batch * channels];
    forEachSample(
        n -> {
          float[] xs = sample(in, n, 0);
          for (int i = 0, at = 0; i < plane; i++, at += channels) {
            for (int c = 0; c < channels; c++) {
              pooled[n * channels + c] += xs[at + c];
            }
          }
          for (int c = 0; c < channels; c++) {
            pooled[n * channels + c] /= plane;
          }
        });
    gate.forward(pooled, read(params), gateValues);
    FloatPointer out = floats(scaled);
    forEachSample(
        n -> {
          float[] xs = sample(in, n, 0);
          int g = n * channels;
          for (int i = 0, at = 0; i < plane; i++, at += channels) {
            for (int c = 0; c < channels; c++) {
              xs[at + c] *= gateValues[g + c];
            }
          }
          put(out, n, xs);
        });
  }

  private void scaleBackward(stream s, memory dScaled, memory dFeatures) {
    s._wait();
    FloatPointer d = floats(dScaled);
    FloatPointer x = floats(features);
    float[] dGate = new float[batch * channels];
    forEachSample(
        n -> {
          float[] ds = sample(d, n, 0);
          float[] xs = sample(x, n, 1);
          int g = n * channels;
          for (int i = 0, at = 0; i < plane; i++, at += channels) {
            for (int c = 0; c < channels; c++) {
              dGate[g + c] += ds[at + c] * xs[at + c];
            }
          }
        });
    float[] dPooled = new float[batch * channels];
    Weights grads = Weights.zeros(channels, reduced);
    gate.backward(dGate, read(params), grads, dPooled);
    FloatPointer out = floats(dFeatures);
    forEachSample(
        n -> {
          float[] ds = sample(d, n, 0);
          int g = n * channels;
          for (int i = 0, at = 0; i < plane; i++, at += channels) {
            for (int c = 0; c < channels; c++) {
              ds[at + c] = ds[at + c] * gateValues[g + c] + dPooled[g + c] / plane;
            }
          }
          put(out, n, ds);
        });
    float[][] values = {grads.reduce(), grads.reduceBias(), grads.expand(), grads.expandBias()};
    for (int i = 0; i < 4; i++) {
      DnnlProgram.write(values[i], gradients[i]);
    }
  }

  private void forEachSample(java.util.function.IntConsumer body) {
    PlaneWork.forEachChannel(batch, (long) batch * plane * channels, body);
  }

  private FloatPointer floats(memory m) {
    return new FloatPointer(m.get_data_handle()).capacity((long) batch * plane * channels);
  }

  /** Sample {@code n} of an NHWC map, copied into this thread's scratch {@code slot}. */
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

  private static Weights read(memory[] m) {
    return new Weights(
        DnnlProgram.read(m[0]),
        DnnlProgram.read(m[1]),
        DnnlProgram.read(m[2]),
        DnnlProgram.read(m[3]));
  }
}
