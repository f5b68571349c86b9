package org.nd4j.nativeblas;

/**
 * Forwarder for a DL4J 1.0.0-M2.1 bug: its oneDNN layer helpers look for {@code
 * org.nd4j.nativeblas.Nd4jCpu$Environment.isUseMKLDNN()}, a class that moved to {@code
 * org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.isUseONEDNN()}; without this the
 * helpers silently stay off. See {@code org.parameternet.model.Natives}.
 */
public final class Nd4jCpu {
  private Nd4jCpu() {}

  /** The old name of the native environment, answering only what DL4J asks. */
  public static final class Environment {
    private static final Environment INSTANCE = new Environment();

    private Environment() {}

    public static Environment getInstance() {
      return INSTANCE;
    }

    public boolean isUseMKLDNN() {
      return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
    }
  }
}
