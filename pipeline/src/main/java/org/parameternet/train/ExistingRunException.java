package org.parameternet.train;

/**
 * A fresh run was asked for where a run already holds checkpoints: it is not replaced. The caller
 * says how to resume it (the command line names its flag).
 */
public final class ExistingRunException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  ExistingRunException(String out, String checkpoint) {
    super(
        out
            + " already holds checkpoints ("
            + checkpoint
            + "); resume that run to continue it, or choose another train.out");
  }
}
