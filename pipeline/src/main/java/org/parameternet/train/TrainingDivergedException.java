package org.parameternet.train;

/** A non-finite loss or parameter: the run stops and the last checkpoint is left as it was. */
public final class TrainingDivergedException extends RuntimeException {
  public TrainingDivergedException(String message) {
    super(message);
  }
}
