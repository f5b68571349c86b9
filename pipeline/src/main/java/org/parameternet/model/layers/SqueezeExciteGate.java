package org.parameternet.model.layers;

import java.util.Arrays;

/**
 * The small middle of a squeeze-excite: from the pooled features [B, C] to the gate [B, C] through
 * a 1x1 conv with bias to {@code reduced} channels and its activation, then a 1x1 conv with bias
 * back to C and the gate relu6(x + 3) / 6 ({@link ActivationHardSigmoidGate}); and its backward.
 * Plain Java on vectors of a few thousand values: it keeps the project's derivatives at the kinks
 * (hard-swish's as {@link FusedBatchNorm#activationGradient}, the gate's 0 outside (-3, 3)), and
 * the big [B, C, H, W] passes around it stay in oneDNN ({@link DnnlSqueezeExcite}).
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
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < reduced; j++) {
        float z = w.reduceBias[j];
        for (int c = 0; c < channels; c++) {
          z += w.reduce[j * channels + c] * pooled[b * channels + c];
        }
        reducedRaw[b * reduced + j] = z;
      }
    }
    System.arraycopy(reducedRaw, 0, reducedOut, 0, reducedOut.length);
    FusedBatchNorm.affineActivate(reducedOut, reducedOut.length, 1f, 0f, activation);
    for (int b = 0; b < batch; b++) {
      for (int c = 0; c < channels; c++) {
        float z = w.expandBias[c];
        for (int j = 0; j < reduced; j++) {
          z += w.expand[c * reduced + j] * reducedOut[b * reduced + j];
        }
        gateRaw[b * channels + c] = z;
        gate[b * channels + c] = Math.min(Math.max(z + 3f, 0f), 6f) * (1f / 6f);
      }
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
    float[] dReduced = new float[batch * reduced];
    Arrays.fill(g.expand, 0f);
    Arrays.fill(g.expandBias, 0f);
    for (int b = 0; b < batch; b++) {
      for (int c = 0; c < channels; c++) {
        float d = dGate[b * channels + c];
        g.expandBias[c] += d;
        for (int j = 0; j < reduced; j++) {
          g.expand[c * reduced + j] += d * reducedOut[b * reduced + j];
          dReduced[b * reduced + j] += w.expand[c * reduced + j] * d;
        }
      }
    }
    FusedBatchNorm.activationGradient(reducedRaw, dReduced, dReduced.length, 1f, 0f, activation);
    Arrays.fill(g.reduce, 0f);
    Arrays.fill(g.reduceBias, 0f);
    Arrays.fill(dPooled, 0f);
    for (int b = 0; b < batch; b++) {
      for (int j = 0; j < reduced; j++) {
        float d = dReduced[b * reduced + j];
        g.reduceBias[j] += d;
        for (int c = 0; c < channels; c++) {
          g.reduce[j * channels + c] += d * pooled[b * channels + c];
          dPooled[b * channels + c] += w.reduce[j * channels + c] * d;
        }
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
