package org.parameternet.model.layers;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How the plane kernels ({@link FusedBatchNorm}, {@link PlaneDepthwise}) run: channels in parallel,
 * each plane copied into a per-thread Java array, worked and copied back. C2 vectorises loops over
 * Java arrays but not over native buffers (3-4x here), and bulk copies run at memory speed.
 */
final class PlaneWork {
  private static final int SLOTS = 5;
  private static final ThreadLocal<float[][]> SCRATCH =
      ThreadLocal.withInitial(() -> new float[SLOTS][0]);

  private PlaneWork() {}

  /**
   * Runs {@code body} for every channel, spread over the machine's cores when there is enough work
   * ({@code size} floats in all) to pay for handing it out ({@link KernelPolicy#serialJava}).
   */
  static void forEachChannel(int channels, long size, IntConsumer body) {
    int threads = KernelPolicy.serialJava(size) ? 1 : Math.min(channels, threads());
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
   * As many threads as ND4J's native ops use (OpenMP's, {@code OMP_NUM_THREADS}), at most the
   * fork-join pool's workers and the caller, so a single-threaded measurement stays
   * single-threaded.
   */
  private static int threads() {
    int nd4j = Math.max(1, Nd4j.getEnvironment().maxThreads());
    return Math.min(nd4j, ForkJoinPool.getCommonPoolParallelism() + 1);
  }

  /**
   * This thread's buffer {@code slot} (0 to 4), at least {@code length} floats, contents undefined.
   */
  static float[] scratch(int slot, int length) {
    float[][] buffers = SCRATCH.get();
    if (buffers[slot].length < length) {
      buffers[slot] = new float[length];
    }
    return buffers[slot];
  }
}
