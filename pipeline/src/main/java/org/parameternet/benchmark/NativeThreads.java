package org.parameternet.benchmark;

import org.nd4j.linalg.factory.Nd4j;

/** The number of threads ND4J's native ops run on (fixed when the natives load). */
public final class NativeThreads {
  private NativeThreads() {}

  public static int current() {
    return Nd4j.getEnvironment().maxMasterThreads();
  }
}
