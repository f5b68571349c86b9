package org.parameternet.model.layers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the SIMD plane kernels ({@link PlaneDepthwise}) can run: the JVM was started with {@code
 * --add-modules=jdk.incubator.vector} (bin/pnet, the tests and the documented spark-submit options
 * do) and the CPU has 256-bit vectors. Without them, depthwise convolutions run on libnd4j's op and
 * batch norm's sums on scalar loops, slower but the same numbers up to float rounding. This class
 * names no Vector API type, so it loads on any JVM.
 */
public final class VectorKernels {
  private static final Logger LOG = LoggerFactory.getLogger(VectorKernels.class);
  private static final String MODULE = "jdk.incubator.vector";
  private static final boolean AVAILABLE = probe();

  private VectorKernels() {}

  public static boolean available() {
    return AVAILABLE;
  }

  private static boolean probe() {
    if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
      LOG.warn(
          "This JVM runs without --add-modules={}: depthwise convolutions and batch norm fall"
              + " back to libnd4j's op and scalar loops, a training step 20-25% longer (see"
              + " docs/running.md)",
          MODULE);
      return false;
    }
    int bits = PlaneDepthwise.vectorBits();
    if (bits < 256) {
      LOG.warn(
          "The CPU has {}-bit vectors: depthwise convolutions and batch norm run on libnd4j's op"
              + " and scalar loops",
          bits);
      return false;
    }
    return true;
  }
}
