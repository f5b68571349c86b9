package org.parameternet.model.layers;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;

/**
 * An inference plan's batch norm and activation as post-ops of the conv before it ({@link
 * KernelPolicy#foldedInferenceNorm}): the conv's output times a per-channel scale plus a shift,
 * then the activation, written once. Before each forward pass a Java step computes scale = gamma /
 * sqrt(var + eps) and shift = beta - mean * scale from DL4J's views (C values each), so changed
 * parameters are read on every call. At batch 1 oneDNN 2.5's inference batch norm on NHWC maps
 * ({@code nspc_bnorm:any}) and the separate activation pass were 6.8 of GhostNet-300M's 16.7 ms in
 * the native blocks' profile.
 */
final class DnnlFoldedNorm {
  private final DnnlProgram p;
  private final int channels;
  private final int activation;
  private final memory gammaBeta;
  private final memory mean;
  private final memory variance;
  private final memory scale;
  private final memory shift;

  /** gamma and beta, mean, variance, scale, shift: reused each pass. */
  private final float[][] values;

  /** Unit {@code prefix}'s norm (DL4J's {@code <prefix>gamma} etc.) over {@code channels}. */
  DnnlFoldedNorm(DnnlProgram p, int channels, int activation, String prefix) {
    this.p = p;
    this.channels = channels;
    this.activation = activation;
    gammaBeta = p.bound(p.desc(new long[] {2L * channels}, memory.format_tag.a), prefix + "gamma");
    memory.desc vector = p.desc(new long[] {channels}, memory.format_tag.a);
    mean = p.bound(vector, prefix + "mean");
    variance = p.bound(vector, prefix + "var");
    memory.desc perChannel = p.desc(new long[] {1, channels, 1, 1}, memory.format_tag.nchw);
    scale = p.scratch(perChannel);
    shift = p.scratch(perChannel);
    values =
        new float[][] {
          new float[2 * channels],
          new float[channels],
          new float[channels],
          new float[channels],
          new float[channels]
        };
    p.java(p.weightsIn, "folded norm", this::fold);
  }

  /** Appends the norm's post-ops to {@code ops}. */
  void append(post_ops ops) {
    ops.append_binary(algorithm.binary_mul, scale.get_desc());
    ops.append_binary(algorithm.binary_add, shift.get_desc());
    if (activation != FusedBatchNorm.IDENTITY) {
      algorithm kind =
          activation == FusedBatchNorm.RELU ? algorithm.eltwise_relu : algorithm.eltwise_hardswish;
      ops.append_eltwise(1f, kind, 0f, 0f);
    }
  }

  /** Adds the post-ops' arguments to {@code args}, after {@code before} post-ops (a sum). */
  void arguments(IntMemoryMap args, int before) {
    args.put(argument(before), scale);
    args.put(argument(before + 1), shift);
  }

  /** oneDNN's DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1. */
  private static int argument(int index) {
    return DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE * (index + 1) | DNNL_ARG_SRC_1;
  }

  /** Reads DL4J's four views, writes scale and shift; counts known, so no descriptor is made. */
  private void fold(stream s) {
    s._wait();
    get(gammaBeta, values[0]);
    get(mean, values[1]);
    get(variance, values[2]);
    float[] a = values[3];
    float[] b = values[4];
    for (int c = 0; c < channels; c++) {
      a[c] = (float) (values[0][c] / Math.sqrt(values[2][c] + NativeBottleneck.EPS));
      b[c] = values[0][channels + c] - values[1][c] * a[c];
    }
    new FloatPointer(scale.get_data_handle()).put(a, 0, channels);
    new FloatPointer(shift.get_data_handle()).put(b, 0, channels);
  }

  private static void get(memory m, float[] into) {
    new FloatPointer(m.get_data_handle()).get(into, 0, into.length);
  }
}
