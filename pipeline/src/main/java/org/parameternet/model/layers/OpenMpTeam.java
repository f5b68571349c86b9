package org.parameternet.model.layers;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The calling thread's OpenMP team size: how many threads the parallel regions it opens next use.
 * oneDNN's JavaCPP preset runs on the libgomp ND4J loads (one OpenMP runtime in the process), so
 * ND4J's {@code omp_set_num_threads} binding sets it for oneDNN too. OpenMP keeps the value per
 * thread, so a setting here touches no other thread's work.
 */
final class OpenMpTeam {
  private OpenMpTeam() {}

  /** The calling thread's team size for its next parallel region. */
  static int size() {
    return ops().ompGetMaxThreads();
  }

  /** Sets the calling thread's team size for its next parallel regions. */
  static void resize(int threads) {
    ops().setOmpNumThreads(threads);
  }

  private static NativeOps ops() {
    return Holder.OPS;
  }

  private static final class Holder {
    static {
      Nd4j.getBackend(); // NativeOpsHolder reads the loaded backend's properties
    }

    static final NativeOps OPS = NativeOpsHolder.getInstance().getDeviceNativeOps();
  }
}
