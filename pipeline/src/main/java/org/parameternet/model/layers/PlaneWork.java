package org.parameternet.model.layers;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * How the plane kernels ({@link FusedBatchNorm}) run: channels in parallel, each plane copied into
 * a per-thread Java array, worked and copied back. C2 vectorises loops over Java arrays but not
 * over native buffers (3-4x here), and bulk copies run at memory speed.
 */
final class PlaneWork {
  private static final int THREADS = Runtime.getRuntime().availableProcessors();
  private static final int SLOTS = 4;
  private static final ThreadLocal<float[][]> SCRATCH =
      ThreadLocal.withInitial(() -> new float[SLOTS][0]);

  private PlaneWork() {}

  /** Runs {@code body} for every channel, spread over the machine's cores. */
  static void forEachChannel(int channels, IntConsumer body) {
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

  /**
   * This thread's buffer {@code slot} (0-3), at least {@code length} floats, contents undefined.
   */
  static float[] scratch(int slot, int length) {
    float[][] buffers = SCRATCH.get();
    if (buffers[slot].length < length) {
      buffers[slot] = new float[length];
    }
    return buffers[slot];
  }
}
