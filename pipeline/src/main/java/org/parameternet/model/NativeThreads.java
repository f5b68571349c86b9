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
 * <p>libgomp reads the variable once, when it loads, so it has to be in the process's environment
 * before ND4J's natives load: executors get it through {@code spark.executorEnv} ({@code
 * org.parameternet.spark.SparkDefaults}), the driver from {@link #preferPassiveWaiting} as the
 * first thing its {@code main} does. A value the user set is kept.
 */
public final class NativeThreads {
  /** The environment variable libgomp reads. */
  public static final String WAIT_POLICY = "OMP_WAIT_POLICY";

  /** The value pnet runs with unless the user sets another. */
  public static final String PASSIVE = "PASSIVE";

  private NativeThreads() {}

  /** The C library's environment: what libgomp reads (Java's System.getenv is a copy). */
  private interface CEnvironment extends Library {
    String getenv(String name);

    int setenv(String name, String value, int overwrite);
  }

  /**
   * Puts {@code OMP_WAIT_POLICY=PASSIVE} into this process's environment unless it is set, and
   * returns what OpenMP will run with: the user's value, {@code PASSIVE}, or null when OpenMP was
   * already loaded with the variable unset (too late: it spins). Call before ND4J is touched.
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
    if (libc.setenv(WAIT_POLICY, PASSIVE, 0) != 0) {
      throw new IllegalStateException("setenv(" + WAIT_POLICY + ") failed");
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
