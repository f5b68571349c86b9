package org.parameternet.model.layers;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;

/**
 * Training batch norm and its activation in the fewest passes over memory, which is what bounds
 * them. DL4J's layer, with its oneDNN helper, reads a GhostNet activation 4 times forward (mean,
 * variance, normalise, then the activation's passes) and about 10 times backward; this reads it
 * twice forward (statistics; normalise and activate) and twice backward (the two gradient sums,
 * with the activation's derivative recomputed from the input; the input gradient), as PyTorch's CPU
 * kernels do. Channels run in parallel; each plane is a contiguous loop.
 *
 * <p>Sums within a plane are float with several accumulators, shifted by the channel's first value
 * (so a large mean does not cancel the variance), and combined across planes in double. The sums
 * and the activations' derivatives run in SIMD ({@link VectorBatchNorm}) when the JVM has the
 * Vector API; the loops here are the fallback.
 */
final class FusedBatchNorm {
  static final int IDENTITY = 0;
  static final int RELU = 1;
  static final int HARD_SWISH = 2;

  private static final boolean SIMD = VectorKernels.available();

  private FusedBatchNorm() {}

  /** The kernel's code for {@code activation}, or -1 when it has none (the caller falls back). */
  static int kindOf(IActivation activation) {
    if (activation == null || activation instanceof ActivationIdentity) {
      return IDENTITY;
    }
    if (activation instanceof ActivationReLU relu && relu.equals(new ActivationReLU())) {
      return RELU;
    }
    return activation instanceof ActivationHardSwish ? HARD_SWISH : -1;
  }

  /** Per-channel batch mean and biased variance of {@code x}. */
  static void statistics(ChannelPlanes x, double[] mean, double[] variance) {
    long count = (long) x.batch() * x.plane();
    PlaneWork.forEachChannel(
        x.channels(),
        x.size(),
        c -> {
          float[] v = PlaneWork.scratch(0, x.plane());
          float[] sums = new float[2];
          float shift = x.data().get(x.start(0, c));
          double sum = 0;
          double squares = 0;
          for (int n = 0; n < x.batch(); n++) {
            x.data().get(x.start(n, c), v, 0, x.plane());
            planeSums(v, 0, x.plane(), shift, sums);
            sum += sums[0];
            squares += sums[1];
          }
          double shiftedMean = sum / count;
          mean[c] = shift + shiftedMean;
          variance[c] = Math.max(0, squares / count - shiftedMean * shiftedMean);
        });
  }

  /**
   * {@code sums[0] = sum(v - shift)} and {@code sums[1] = sum((v - shift)^2)} over one plane,
   * v[from, from + n): float sums with several accumulators, which the caller adds up in double.
   */
  static void planeSums(float[] v, int from, int n, float shift, float[] sums) {
    if (SIMD) {
      VectorBatchNorm.shiftedSums(v, from, n, shift, sums);
      return;
    }
    float s0 = 0, s1 = 0, q0 = 0, q1 = 0;
    int end = from + n;
    int i = from;
    for (; i + 1 < end; i += 2) {
      float v0 = v[i] - shift;
      float v1 = v[i + 1] - shift;
      s0 += v0;
      s1 += v1;
      q0 += v0 * v0;
      q1 += v1 * v1;
    }
    for (; i < end; i++) {
      float v0 = v[i] - shift;
      s0 += v0;
      q0 += v0 * v0;
    }
    sums[0] = s0 + s1;
    sums[1] = q0 + q1;
  }

  /** {@code sum(v)} over v[from, from + n): a float sum with several accumulators. */
  static float planeSum(float[] v, int from, int n) {
    if (SIMD) {
      return VectorBatchNorm.sum(v, from, n);
    }
    float s0 = 0, s1 = 0;
    int end = from + n;
    int i = from;
    for (; i + 1 < end; i += 2) {
      s0 += v[i];
      s1 += v[i + 1];
    }
    for (; i < end; i++) {
      s0 += v[i];
    }
    return s0 + s1;
  }

  /** {@code sums[0] = sum(g)} and {@code sums[1] = sum(g * (v - mean))} over [from, from + n). */
  static void planeGradientSums(float[] g, float[] v, int from, int n, float mean, float[] sums) {
    if (SIMD) {
      VectorBatchNorm.gradientSums(g, v, from, n, mean, sums);
      return;
    }
    float g0 = 0, g1 = 0, c0 = 0, c1 = 0;
    int end = from + n;
    int i = from;
    for (; i + 1 < end; i += 2) {
      g0 += g[i];
      g1 += g[i + 1];
      c0 += g[i] * (v[i] - mean);
      c1 += g[i + 1] * (v[i + 1] - mean);
    }
    for (; i < end; i++) {
      g0 += g[i];
      c0 += g[i] * (v[i] - mean);
    }
    sums[0] = g0 + g1;
    sums[1] = c0 + c1;
  }

  /** {@code out = activation(x * scale[c] + shift[c])}. */
  static void normalize(
      ChannelPlanes x, float[] scale, float[] shift, int activation, ChannelPlanes out) {
    PlaneWork.forEachChannel(
        x.channels(),
        x.size(),
        c -> {
          float[] v = PlaneWork.scratch(0, x.plane());
          for (int n = 0; n < x.batch(); n++) {
            x.data().get(x.start(n, c), v, 0, x.plane());
            affineActivate(v, x.plane(), scale[c], shift[c], activation);
            out.data().put(out.start(n, c), v, 0, x.plane());
          }
        });
  }

  /** {@code v[i] = activation(v[i] * a + b)}: one loop per activation, so each vectorises. */
  static void affineActivate(float[] v, int length, float a, float b, int activation) {
    switch (activation) {
      case RELU -> {
        for (int i = 0; i < length; i++) {
          v[i] = Math.max(v[i] * a + b, 0f);
        }
      }
      case HARD_SWISH -> {
        for (int i = 0; i < length; i++) {
          float z = v[i] * a + b;
          v[i] = z * Math.min(Math.max(z + 3f, 0f), 6f) * (1f / 6f);
        }
      }
      default -> {
        for (int i = 0; i < length; i++) {
          v[i] = v[i] * a + b;
        }
      }
    }
  }

  /**
   * The two sums backprop needs, per channel: {@code sum(g)} and {@code sum(g * (x - mean))}, with
   * {@code g = eps * activation'(x * scale + shift)} recomputed rather than stored.
   */
  static void gradientSums(
      ChannelPlanes x,
      ChannelPlanes eps,
      float[] scale,
      float[] shift,
      int activation,
      double[] mean,
      double[] sumG,
      double[] sumGCentred) {
    PlaneWork.forEachChannel(
        x.channels(),
        x.size(),
        c -> {
          float[] v = PlaneWork.scratch(0, x.plane());
          float[] g = PlaneWork.scratch(1, x.plane());
          float m = (float) mean[c];
          float[] sums = new float[2];
          double total = 0;
          double centred = 0;
          for (int n = 0; n < x.batch(); n++) {
            planeGradient(x, eps, n, c, scale[c], shift[c], activation, v, g);
            planeGradientSums(g, v, 0, x.plane(), m, sums);
            total += sums[0];
            centred += sums[1];
          }
          sumG[c] = total;
          sumGCentred[c] = centred;
        });
  }

  /** {@code dx = g * scale[c] + x * xCoefficient[c] + constant[c]}, g as in gradientSums. */
  static void inputGradient(
      ChannelPlanes x,
      ChannelPlanes eps,
      float[] scale,
      float[] shift,
      int activation,
      float[] xCoefficient,
      float[] constant,
      ChannelPlanes dx) {
    PlaneWork.forEachChannel(
        x.channels(),
        x.size(),
        c -> {
          float[] v = PlaneWork.scratch(0, x.plane());
          float[] g = PlaneWork.scratch(1, x.plane());
          float a = scale[c];
          float k1 = xCoefficient[c];
          float k0 = constant[c];
          for (int n = 0; n < x.batch(); n++) {
            planeGradient(x, eps, n, c, a, shift[c], activation, v, g);
            combine(g, v, x.plane(), a, k1, k0);
            dx.data().put(dx.start(n, c), v, 0, x.plane());
          }
        });
  }

  /** {@code v[i] = g[i] * a + v[i] * k1 + k0} over [0, length): the input gradient's last step. */
  static void combine(float[] g, float[] v, int length, float a, float k1, float k0) {
    for (int i = 0; i < length; i++) {
      v[i] = g[i] * a + v[i] * k1 + k0;
    }
  }

  /**
   * Plane (n, c) of {@code x} into {@code v}, and of {@code eps} times the activation's derivative
   * at {@code x * a + b} into {@code g}: what both backward passes start each plane with.
   */
  static void planeGradient(
      ChannelPlanes x,
      ChannelPlanes eps,
      int n,
      int c,
      float a,
      float b,
      int activation,
      float[] v,
      float[] g) {
    x.data().get(x.start(n, c), v, 0, x.plane());
    eps.data().get(eps.start(n, c), g, 0, x.plane());
    activationGradient(v, g, x.plane(), a, b, activation);
  }

  /** {@code g[i] *= activation'(x[i] * a + b)}, with PyTorch's choices at the kinks. */
  static void activationGradient(
      float[] x, float[] g, int length, float a, float b, int activation) {
    if (SIMD && activation == RELU) {
      VectorBatchNorm.reluGradient(x, g, length, a, b);
      return;
    }
    if (SIMD && activation == HARD_SWISH) {
      VectorBatchNorm.hardSwishGradient(x, g, length, a, b);
      return;
    }
    switch (activation) {
      case RELU -> {
        for (int i = 0; i < length; i++) {
          g[i] = x[i] * a + b > 0f ? g[i] : 0f;
        }
      }
      case HARD_SWISH -> {
        for (int i = 0; i < length; i++) {
          float z = x[i] * a + b;
          g[i] = z < -3f ? 0f : z > 3f ? g[i] : g[i] * (z * (1f / 3f) + 0.5f);
        }
      }
      default -> {}
    }
  }
}
