package org.parameternet.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How the OpenMP threads under ND4J and oneDNN wait between parallel regions. With {@code
 * OMP_WAIT_POLICY} unset, libgomp keeps an idle OpenMP thread spinning for a while after every
 * parallel region, on the core that the Java kernels' second thread ({@code PlaneWork}) and the
 * JVM's compiler need next: a training step is thousands of short native ops with Java work between
 * them, so the two fight over the cores and a second thread made training slower than one. {@code
 * PASSIVE} puts an idle OpenMP thread to sleep at once. Measured with {@code bench models} on 2
 * cores (docs/commands/bench.md, "Threads"): GhostNet-300M 12.2 to 15.2 images/s, the small cell's
 * GhostNet 88 to 127.
 *
 * <p>Sleeping at once has its own cost where the native work is many short primitives with short
 * Java steps between them (the native blocks at the 64x64 cell): each region then wakes the other
 * thread from sleep. So with PASSIVE pnet also sets {@code GOMP_SPINCOUNT} to {@link #SPINS}, which
 * libgomp takes over the policy's 0: an idle thread spins that many pauses (a fraction of a
 * millisecond) before it sleeps, enough to bridge the gaps between a block's primitives and short
 * of the Java kernels' longer stretches. See docs/commands/bench.md, "Threads and native blocks".
 *
 * <p>libgomp reads the variables once, when it loads, so they have to be in the process's
 * environment before ND4J's natives load: executors get them through {@code spark.executorEnv}
 * ({@code org.parameternet.spark.SparkDefaults}), the driver from {@link #preferPassiveWaiting} as
 * the first thing its {@code main} does. Values the user set are kept, and a wait policy the user
 * set keeps libgomp's spin count for it.
 */
public final class NativeThreads {
  /** The environment variable libgomp reads. */
  public static final String WAIT_POLICY = "OMP_WAIT_POLICY";

  /** The value pnet runs with unless the user sets another. */
  public static final String PASSIVE = "PASSIVE";

  /** The environment variable libgomp reads its spin count from, over the policy's default. */
  public static final String SPIN_COUNT = "GOMP_SPINCOUNT";

  /** The spin count pnet runs with beside {@link #PASSIVE} unless the user sets one. */
  public static final String SPINS = "3000";

  private NativeThreads() {}

  /** The C library's environment: what libgomp reads (Java's System.getenv is a copy). */
  private interface CEnvironment extends Library {
    String getenv(String name);

    int setenv(String name, String value, int overwrite);
  }

  /**
   * Puts {@code OMP_WAIT_POLICY=PASSIVE} and {@code GOMP_SPINCOUNT=}{@link #SPINS} (unless set)
   * into this process's environment unless the policy is set, and returns what OpenMP will run
   * with: the user's value, {@code PASSIVE}, or null when OpenMP was already loaded with the
   * variable unset (too late: it spins). Call before ND4J is touched.
   */
  public static String preferPassiveWaiting() {
    CEnvironment libc = Native.loadLibrary("c", CEnvironment.class);
    String current = libc.getenv(WAIT_POLICY);
    if (current != null) {
      return current;
    }
    if (openMpLoaded()) {
      return null;
    }
    if (libc.setenv(WAIT_POLICY, PASSIVE, 0) != 0 || libc.setenv(SPIN_COUNT, SPINS, 0) != 0) {
      throw new IllegalStateException("setenv(" + WAIT_POLICY + ", " + SPIN_COUNT + ") failed");
    }
    return PASSIVE;
  }

  /** Whether an OpenMP runtime is mapped into this process (Linux; false where unknown). */
  static boolean openMpLoaded() {
    try {
      return Files.readString(Path.of("/proc/self/maps")).contains("libgomp");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
