package org.parameternet.model.layers;

import java.nio.FloatBuffer;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
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
 * (so a large mean does not cancel the variance), and combined across planes in double.
 */
final class FusedBatchNorm {
  static final int IDENTITY = 0;
  static final int RELU = 1;
  static final int HARD_SWISH = 2;
  private static final int THREADS = Runtime.getRuntime().availableProcessors();

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
    forEachChannel(
        x.channels(),
        c -> {
          FloatBuffer d = x.data();
          float shift = d.get(x.start(0, c));
          double sum = 0;
          double squares = 0;
          for (int n = 0; n < x.batch(); n++) {
            int i = x.start(n, c);
            int end = i + x.plane();
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
            for (; i + 3 < end; i += 4) {
              float v0 = d.get(i) - shift, v1 = d.get(i + 1) - shift;
              float v2 = d.get(i + 2) - shift, v3 = d.get(i + 3) - shift;
              s0 += v0;
              s1 += v1;
              s2 += v2;
              s3 += v3;
              q0 += v0 * v0;
              q1 += v1 * v1;
              q2 += v2 * v2;
              q3 += v3 * v3;
            }
            for (; i < end; i++) {
              float v = d.get(i) - shift;
              s0 += v;
              q0 += v * v;
            }
            sum += (double) s0 + s1 + s2 + s3;
            squares += (double) q0 + q1 + q2 + q3;
          }
          double shiftedMean = sum / count;
          mean[c] = shift + shiftedMean;
          variance[c] = Math.max(0, squares / count - shiftedMean * shiftedMean);
        });
  }

  /** {@code out = activation(x * scale[c] + shift[c])}. */
  static void normalize(
      ChannelPlanes x, float[] scale, float[] shift, int activation, ChannelPlanes out) {
    forEachChannel(
        x.channels(),
        c -> {
          FloatBuffer in = x.data();
          FloatBuffer o = out.data();
          float a = scale[c];
          float b = shift[c];
          for (int n = 0; n < x.batch(); n++) {
            int i = x.start(n, c);
            int j = out.start(n, c);
            for (int end = i + x.plane(); i < end; i++, j++) {
              o.put(j, activate(activation, in.get(i) * a + b));
            }
          }
        });
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
    forEachChannel(
        x.channels(),
        c -> {
          FloatBuffer in = x.data();
          FloatBuffer e = eps.data();
          float a = scale[c];
          float b = shift[c];
          float m = (float) mean[c];
          double g = 0;
          double gc = 0;
          for (int n = 0; n < x.batch(); n++) {
            int i = x.start(n, c);
            int j = eps.start(n, c);
            float g0 = 0, g1 = 0, c0 = 0, c1 = 0;
            int end = i + x.plane();
            for (; i + 1 < end; i += 2, j += 2) {
              float x0 = in.get(i), x1 = in.get(i + 1);
              float d0 = derivative(activation, x0 * a + b, e.get(j));
              float d1 = derivative(activation, x1 * a + b, e.get(j + 1));
              g0 += d0;
              g1 += d1;
              c0 += d0 * (x0 - m);
              c1 += d1 * (x1 - m);
            }
            for (; i < end; i++, j++) {
              float x0 = in.get(i);
              float d0 = derivative(activation, x0 * a + b, e.get(j));
              g0 += d0;
              c0 += d0 * (x0 - m);
            }
            g += (double) g0 + g1;
            gc += (double) c0 + c1;
          }
          sumG[c] = g;
          sumGCentred[c] = gc;
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
    forEachChannel(
        x.channels(),
        c -> {
          FloatBuffer in = x.data();
          FloatBuffer e = eps.data();
          FloatBuffer out = dx.data();
          float a = scale[c];
          float b = shift[c];
          float k1 = xCoefficient[c];
          float k0 = constant[c];
          for (int n = 0; n < x.batch(); n++) {
            int i = x.start(n, c);
            int j = eps.start(n, c);
            int k = dx.start(n, c);
            for (int end = i + x.plane(); i < end; i++, j++, k++) {
              float v = in.get(i);
              out.put(k, derivative(activation, v * a + b, e.get(j)) * a + v * k1 + k0);
            }
          }
        });
  }

  static float activate(int activation, float z) {
    return switch (activation) {
      case RELU -> Math.max(z, 0f);
      case HARD_SWISH -> z * Math.min(Math.max(z + 3f, 0f), 6f) * (1f / 6f);
      default -> z;
    };
  }

  /** {@code eps * activation'(z)}, with PyTorch's choices at the kinks. */
  static float derivative(int activation, float z, float eps) {
    return switch (activation) {
      case RELU -> z > 0f ? eps : 0f;
      case HARD_SWISH -> z < -3f ? 0f : z > 3f ? eps : eps * (z * (1f / 3f) + 0.5f);
      default -> eps;
    };
  }

  private static void forEachChannel(int channels, IntConsumer body) {
    int threads = Math.min(channels, THREADS);
    if (threads <= 1) {
      for (int c = 0; c < channels; c++) {
        body.accept(c);
      }
      return;
    }
    IntStream.range(0, threads)
        .parallel()
        .forEach(
            t -> {
              for (int c = t; c < channels; c += threads) {
                body.accept(c);
              }
            });
  }
}
