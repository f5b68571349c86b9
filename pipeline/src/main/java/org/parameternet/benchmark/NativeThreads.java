package org.parameternet.benchmark;

import org.nd4j.linalg.factory.Nd4j;

/** Caps the threads ND4J's native code (OpenMP ops and BLAS) may use. */
public final class NativeThreads {
  private NativeThreads() {}

  public static int current() {
    return Nd4j.getEnvironment().maxMasterThreads();
  }

  public static void limit(int threads) {
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
  }
}
