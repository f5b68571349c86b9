package org.parameternet.model.layers;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The small middle of a squeeze-excite: from the pooled features [B, C] to the gate [B, C] through
 * a 1x1 conv with bias to {@code reduced} channels and its activation, then a 1x1 conv with bias
 * back to C and the gate relu6(x + 3) / 6 ({@link ActivationHardSigmoidGate}); and its backward.
 * The products are BLAS sgemms; the rest is plain Java on the [B, C] and [B, R] values, which keeps
 * the project's derivatives at the kinks (hard-swish's as {@link
 * FusedBatchNorm#activationGradient}, the gate's 0 outside (-3, 3)). The passes over the [B, C, H,
 * W] map around it are {@link DnnlSqueezeExcite}'s.
 *
 * <p>Weights are DL4J's 1x1 conv layouts: reduce [R, C] (from [R, C, 1, 1]), expand [C, R].
 */
final class SqueezeExciteGate {
  private final int batch;
  private final int channels;
  private final int reduced;
  private final int activation;

  /** The last forward pass's pooled input, reduce pre-activations and outputs, gate inputs. */
  private final float[] pooled;

  private final float[] reducedRaw;
  private final float[] reducedOut;
  private final float[] gateRaw;

  SqueezeExciteGate(int batch, int channels, int reduced, int activation) {
    this.batch = batch;
    this.channels = channels;
    this.reduced = reduced;
    this.activation = activation;
    pooled = new float[batch * channels];
    reducedRaw = new float[batch * reduced];
    reducedOut = new float[batch * reduced];
    gateRaw = new float[batch * channels];
  }

  /** Writes the gate of {@code input} (pooled [B, C]) into {@code gate} [B, C]. */
  void forward(float[] input, Weights w, float[] gate) {
    System.arraycopy(input, 0, pooled, 0, pooled.length);
    // reducedRaw [B, R] = pooled [B, C] x reduce^T [C, R], then the bias
    multiply(pooled, batch, channels, false, w.reduce, reduced, true, reducedRaw);
    addBias(reducedRaw, w.reduceBias);
    System.arraycopy(reducedRaw, 0, reducedOut, 0, reducedOut.length);
    FusedBatchNorm.affineActivate(reducedOut, reducedOut.length, 1f, 0f, activation);
    // gateRaw [B, C] = reducedOut [B, R] x expand^T [R, C], then the bias
    multiply(reducedOut, batch, reduced, false, w.expand, channels, true, gateRaw);
    addBias(gateRaw, w.expandBias);
    for (int i = 0; i < gate.length; i++) {
      gate[i] = Math.min(Math.max(gateRaw[i] + 3f, 0f), 6f) * (1f / 6f);
    }
  }

  /**
   * From the gate's gradient {@code dGate} (overwritten), the pooled input's into {@code dPooled}
   * and the four parameters' into {@code g} (overwritten, summed over the batch).
   */
  void backward(float[] dGate, Weights w, Weights g, float[] dPooled) {
    for (int i = 0; i < dGate.length; i++) {
      float z = gateRaw[i];
      dGate[i] = z > -3f && z < 3f ? dGate[i] * (1f / 6f) : 0f;
    }
    // expand [C, R] = dGate^T [C, B] x reducedOut [B, R]; dReduced [B, R] = dGate x expand
    multiply(dGate, channels, batch, true, reducedOut, reduced, false, g.expand);
    columnSums(dGate, channels, g.expandBias);
    float[] dReduced = new float[batch * reduced];
    multiply(dGate, batch, channels, false, w.expand, reduced, false, dReduced);
    FusedBatchNorm.activationGradient(reducedRaw, dReduced, dReduced.length, 1f, 0f, activation);
    // reduce [R, C] = dReduced^T [R, B] x pooled [B, C]; dPooled [B, C] = dReduced x reduce
    multiply(dReduced, reduced, batch, true, pooled, channels, false, g.reduce);
    columnSums(dReduced, reduced, g.reduceBias);
    multiply(dReduced, batch, reduced, false, w.reduce, channels, false, dPooled);
  }

  /**
   * {@code out [m, n] = op(a) [m, k] x op(b) [k, n]}, each array row-major as it lies ({@code a}
   * [k, m] when {@code transposeA}, {@code b} [n, k] when {@code transposeB}): one BLAS sgemm. A
   * Java loop here was most of the SE's time at GhostNet-300M's widths (tens of millions of
   * multiply-adds a step that the JIT cannot vectorise as reductions).
   */
  private static void multiply(
      float[] a,
      int m,
      int k,
      boolean transposeA,
      float[] b,
      int n,
      boolean transposeB,
      float[] out) {
    try (MemoryWorkspace none = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      INDArray left = Nd4j.create(a, transposeA ? new long[] {k, m} : new long[] {m, k}, 'c');
      INDArray right = Nd4j.create(b, transposeB ? new long[] {n, k} : new long[] {k, n}, 'c');
      INDArray result = Nd4j.createUninitialized(DataType.FLOAT, m, n);
      Nd4j.gemm(left, right, result, transposeA, transposeB, 1.0, 0.0);
      result.data().asNioFloat().get(out, 0, m * n);
    }
  }

  private void addBias(float[] values, float[] bias) {
    for (int i = 0; i < values.length; i++) {
      values[i] += bias[i % bias.length];
    }
  }

  /** {@code sums[j] = sum over rows of values [batch, width]}. */
  private void columnSums(float[] values, int width, float[] sums) {
    Arrays.fill(sums, 0f);
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < width; j++) {
        sums[j] += values[b * width + j];
      }
    }
  }

  /** The four parameters (or their gradients) as flat arrays in DL4J's layouts. */
  record Weights(float[] reduce, float[] reduceBias, float[] expand, float[] expandBias) {
    static Weights zeros(int channels, int reduced) {
      return new Weights(
          new float[reduced * channels],
          new float[reduced],
          new float[channels * reduced],
          new float[channels]);
    }
  }
}
