package org.parameternet.model.layers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the SIMD kernels ({@link PlaneDepthwise}, {@link VectorBatchNorm}) can run, and how wide
 * they compute: the JVM was started with {@code --add-modules=jdk.incubator.vector} (bin/pnet, the
 * tests and the documented spark-submit options do) and the CPU has at least 256-bit vectors.
 * Without them, depthwise convolutions run on libnd4j's op and batch norm's sums on scalar loops,
 * slower but the same numbers up to float rounding. This class names no Vector API type, so it
 * loads on any JVM.
 *
 * <p>The width is one decision, made here: {@value #BITS_PROPERTY} = {@code 256}, {@code 512} or
 * {@code preferred} (the CPU's widest vectors, {@code FloatVector.SPECIES_PREFERRED}), never wider
 * than the CPU's or 512 bits and never narrower than 256 bits.
 */
public final class VectorKernels {
  private static final Logger LOG = LoggerFactory.getLogger(VectorKernels.class);
  private static final String MODULE = "jdk.incubator.vector";

  /** The system property that sets the kernels' vector width. */
  public static final String BITS_PROPERTY = "pnet.vector.bits";

  /** The width the kernels compute in, in bits; 0 when they cannot run. */
  private static final int BITS = probe();

  private VectorKernels() {}

  public static boolean available() {
    return BITS > 0;
  }

  /** The kernels' vector width in bits (0 when {@link #available()} is false). */
  public static int bits() {
    return BITS;
  }

  /**
   * Floats in one of the kernels' vectors (8 when the kernels cannot run: nothing uses it then).
   */
  static int lanes() {
    return BITS > 0 ? BITS / Float.SIZE : 8;
  }

  private static int probe() {
    if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
      LOG.warn(
          "This JVM runs without --add-modules={}: depthwise convolutions and batch norm fall"
              + " back to libnd4j's op and scalar loops, a training step 20-25% longer (see"
              + " docs/running.md)",
          MODULE);
      return 0;
    }
    int preferred = VectorProbe.preferredBits();
    if (preferred < 256) {
      LOG.warn(
          "The CPU has {}-bit vectors: depthwise convolutions and batch norm run on libnd4j's op"
              + " and scalar loops",
          preferred);
      return 0;
    }
    return chooseBits(System.getProperty(BITS_PROPERTY, "256"), preferred);
  }

  /** The width for a requested one ({@code 256}, {@code 512} or {@code preferred}). */
  static int chooseBits(String requested, int preferred) {
    String value = requested.trim().toLowerCase(java.util.Locale.ROOT);
    int bits;
    if (value.equals("preferred")) {
      bits = preferred;
    } else if (value.equals("256") || value.equals("512")) {
      bits = Integer.parseInt(value);
    } else {
      throw new IllegalArgumentException(
          BITS_PROPERTY + " must be 256, 512 or preferred, not '" + requested + "'");
    }
    return Math.max(256, Math.min(512, Math.min(bits, preferred)));
  }
}
