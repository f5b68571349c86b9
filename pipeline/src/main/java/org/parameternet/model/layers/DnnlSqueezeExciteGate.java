package org.parameternet.model.layers;

import static org.parameternet.model.layers.NativeBottleneckParams.key;

import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The gate of a {@link DnnlSqueezeExcite} as steps of its plan: the four products (two forward,
 * four backward) are oneDNN matmuls made once at plan build over the plan's own [B, C] and [B, R]
 * buffers and DL4J's parameter and gradient views (transposes as strides, biases as the matmul's),
 * and only the activations, the gate's derivative and the bias gradients are Java, on a few
 * thousand values. {@link SqueezeExciteGate}, the other way, ran each product as an {@code
 * Nd4j.gemm} on INDArrays made from Java arrays every call, and read the parameters into new
 * arrays: 1.2-1.6 ms forward and 1.7-2.4 ms backward a call at the small cell, mostly ND4J's op
 * dispatch and buffer allocation, for products of at most 4M multiply-adds.
 *
 * <p>Same values as {@link SqueezeExciteGate}: hard-sigmoid gate relu6(x + 3) / 6 with derivative 0
 * outside (-3, 3), the block's activation after the reduce conv with {@link
 * FusedBatchNorm#activationGradient}'s choices at the kinks. Weights are DL4J's 1x1 conv layouts:
 * reduce [R, C], expand [C, R].
 */
final class DnnlSqueezeExciteGate {
  private final DnnlProgram p;
  private final int batch;
  private final int channels;
  private final int reduced;
  private final int activation;

  /** The plan's own buffers, plain row-major: [B, C] or [B, R]. */
  private final memory pooled;

  private final memory reducedRaw;
  private final memory reducedOut;
  private final memory gateRaw;
  private final memory dGate;
  private final memory dReduced;
  private final memory dPooled;

  /** Java copies of the last forward pass's reduce pre-activations and gate inputs. */
  private final float[] reducedRawValues;

  private final float[] reducedValues;
  private final float[] gateRawValues;

  /** A bias gradient's sums over the batch. */
  private final float[] sums;

  /** The bias gradients' views (training only). */
  private memory reduceBiasGradient;

  private memory expandBiasGradient;

  DnnlSqueezeExciteGate(DnnlProgram p, int batch, int channels, int reduced, int activation) {
    this.p = p;
    this.batch = batch;
    this.channels = channels;
    this.reduced = reduced;
    this.activation = activation;
    pooled = p.scratch(plain(batch, channels));
    reducedRaw = p.scratch(plain(batch, reduced));
    reducedOut = p.scratch(plain(batch, reduced));
    gateRaw = p.scratch(plain(batch, channels));
    dGate = p.training ? p.scratch(plain(batch, channels)) : null;
    dReduced = p.training ? p.scratch(plain(batch, reduced)) : null;
    dPooled = p.training ? p.scratch(plain(batch, channels)) : null;
    reducedRawValues = new float[batch * reduced];
    reducedValues = new float[batch * reduced];
    gateRawValues = new float[batch * channels];
    sums = new float[Math.max(channels, reduced)];
  }

  /** Appends pooled [B, C] to gate inputs [B, C] ({@link #gate} reads them as the gate). */
  void forward(List<DnnlProgram.Step> steps) {
    // reducedRaw [B, R] = pooled [B, C] x reduce^T [C, R] + b; reduce is [R, C] row-major
    matmul(
        steps,
        pooled,
        param("se_reduce", "W", new long[] {channels, reduced}, new long[] {1, channels}),
        param("se_reduce", "b", new long[] {1, reduced}, new long[] {reduced, 1}),
        reducedRaw);
    p.java(steps, "squeeze-excite gate activation", s -> activate());
    // gateRaw [B, C] = reducedOut [B, R] x expand^T [R, C] + b; expand is [C, R] row-major
    matmul(
        steps,
        reducedOut,
        param("se_expand", "W", new long[] {reduced, channels}, new long[] {1, reduced}),
        param("se_expand", "b", new long[] {1, channels}, new long[] {channels, 1}),
        gateRaw);
  }

  /**
   * Appends the backward pass from {@link #putGateGradient}'s values to {@link #pooledGradient}.
   */
  void backward(List<DnnlProgram.Step> steps) {
    expandBiasGradient = gradient("se_expand", "b", new long[] {channels}, new long[] {1});
    reduceBiasGradient = gradient("se_reduce", "b", new long[] {reduced}, new long[] {1});
    // expand' [C, R] = dGate^T [C, B] x reducedOut [B, R]
    matmul(
        steps,
        transposed(dGate, batch, channels),
        reducedOut,
        null,
        gradient("se_expand", "W", new long[] {channels, reduced}, new long[] {reduced, 1}));
    // dReduced [B, R] = dGate [B, C] x expand [C, R]
    matmul(
        steps,
        dGate,
        param("se_expand", "W", new long[] {channels, reduced}, new long[] {reduced, 1}),
        null,
        dReduced);
    p.java(steps, "squeeze-excite gate activation gradient", s -> activationGradient());
    // reduce' [R, C] = dReduced^T [R, B] x pooled [B, C]
    matmul(
        steps,
        transposed(dReduced, batch, reduced),
        pooled,
        null,
        gradient("se_reduce", "W", new long[] {reduced, channels}, new long[] {channels, 1}));
    // dPooled [B, C] = dReduced [B, R] x reduce [R, C]
    matmul(
        steps,
        dReduced,
        param("se_reduce", "W", new long[] {reduced, channels}, new long[] {channels, 1}),
        null,
        dPooled);
  }

  /** Sets the pooled input [B, C] of the next forward steps (in a step, after the wait). */
  void putPooled(float[] values) {
    DnnlProgram.floats(pooled, values.length).put(values);
  }

  /** The gate [B, C] of the last forward steps (in a step after them, after the wait). */
  void gate(float[] gate) {
    DnnlProgram.floats(gateRaw, gateRawValues.length).get(gateRawValues);
    for (int i = 0; i < gate.length; i++) {
      gate[i] = Math.min(Math.max(gateRawValues[i] + 3f, 0f), 6f) * (1f / 6f);
    }
  }

  /**
   * From the gate's gradient {@code values} [B, C] (overwritten): the gate inputs' gradient for the
   * backward steps and the expand bias's gradient.
   */
  void putGateGradient(float[] values) {
    for (int i = 0; i < values.length; i++) {
      float z = gateRawValues[i];
      values[i] = z > -3f && z < 3f ? values[i] * (1f / 6f) : 0f;
    }
    DnnlProgram.floats(dGate, values.length).put(values);
    columnSums(values, channels, expandBiasGradient);
  }

  /** The pooled input's gradient [B, C] of the last backward steps (after the wait). */
  void pooledGradient(float[] values) {
    DnnlProgram.floats(dPooled, values.length).get(values);
  }

  private void activate() {
    DnnlProgram.floats(reducedRaw, reducedRawValues.length).get(reducedRawValues);
    System.arraycopy(reducedRawValues, 0, reducedValues, 0, reducedValues.length);
    FusedBatchNorm.affineActivate(reducedValues, reducedValues.length, 1f, 0f, activation);
    DnnlProgram.floats(reducedOut, reducedValues.length).put(reducedValues);
  }

  private void activationGradient() {
    FloatPointer d = DnnlProgram.floats(dReduced, reducedValues.length);
    d.get(reducedValues);
    FusedBatchNorm.activationGradient(
        reducedRawValues, reducedValues, reducedValues.length, 1f, 0f, activation);
    d.put(reducedValues);
    columnSums(reducedValues, reduced, reduceBiasGradient);
  }

  /** Writes the sums over the batch of {@code values} [B, width] into {@code out} [width]. */
  private void columnSums(float[] values, int width, memory out) {
    float[] s = sums;
    Arrays.fill(s, 0, width, 0f);
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < width; j++) {
        s[j] += values[b * width + j];
      }
    }
    DnnlProgram.floats(out, width).put(s, 0, width);
  }

  private void matmul(
      List<DnnlProgram.Step> steps, memory src, memory weights, memory bias, memory dst) {
    p.matmul(steps, src, weights, bias, dst, p.attr());
  }

  private memory.desc plain(long rows, long columns) {
    return p.strided(new long[] {rows, columns}, new long[] {columns, 1});
  }

  /** The plan's buffer {@code m} [rows, columns] read as its transpose [columns, rows]. */
  private memory transposed(memory m, long rows, long columns) {
    return p.view(m, p.strided(new long[] {columns, rows}, new long[] {1, columns}));
  }

  private memory param(String layer, String name, long[] dims, long[] strides) {
    return p.bound(p.strided(dims, strides), key(layer, name));
  }

  private memory gradient(String layer, String name, long[] dims, long[] strides) {
    return p.bound(p.strided(dims, strides), BottleneckPlan.gradient(key(layer, name)));
  }
}
