package org.parameternet.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * timm's ModelEmaV2 ({@code ema = d * ema + (1 - d) * params} per update, batch-norm statistics
 * included), kept on the driver. Workers' updates between two averaging rounds are not visible
 * there, so a round of {@code k} updates applies {@code d^k} once: exact for the averaged
 * parameters at the round's end, and the same weight on history as {@code k} per-step updates.
 */
public final class ExponentialMovingAverage {
  private final double decay;
  private final INDArray average;

  public ExponentialMovingAverage(double decay, INDArray initial) {
    if (!(decay > 0 && decay < 1)) {
      throw new IllegalArgumentException("EMA decay must be in (0, 1), got " + decay);
    }
    this.decay = decay;
    this.average = initial.dup();
  }

  public void update(INDArray params, int steps) {
    if (steps <= 0) {
      return;
    }
    double d = Math.pow(decay, steps);
    average.muli(d).addi(params.mul(1 - d));
  }

  public INDArray average() {
    return average;
  }
}
