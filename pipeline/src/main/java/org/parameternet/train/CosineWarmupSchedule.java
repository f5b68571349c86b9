package org.parameternet.train;

import java.util.Objects;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Learning rate per iteration: linear warm-up from {@code warmupLr} to {@code peakLr} over {@code
 * warmupSteps}, then {@code min + (peak - min)(1 + cos(pi t / T)) / 2} with {@code t} counted from
 * the start of the run, reaching {@code minLr} at {@code totalSteps} (timm's CosineLRScheduler
 * stepped per update, with its default {@code warmup_prefix=False}). Scaled by {@code scale} for
 * layer-wise learning-rate decay.
 */
public final class CosineWarmupSchedule implements ISchedule {
  private final double peakLr;
  private final double warmupLr;
  private final double minLr;
  private final long warmupSteps;
  private final long totalSteps;
  private final double scale;

  public CosineWarmupSchedule(
      @JsonProperty("peakLr") double peakLr,
      @JsonProperty("warmupLr") double warmupLr,
      @JsonProperty("minLr") double minLr,
      @JsonProperty("warmupSteps") long warmupSteps,
      @JsonProperty("totalSteps") long totalSteps,
      @JsonProperty("scale") double scale) {
    if (totalSteps <= 0 || warmupSteps < 0 || warmupSteps > totalSteps) {
      throw new IllegalArgumentException(
          "need 0 <= warm-up steps (" + warmupSteps + ") <= total steps (" + totalSteps + ")");
    }
    this.peakLr = peakLr;
    this.warmupLr = warmupLr;
    this.minLr = minLr;
    this.warmupSteps = warmupSteps;
    this.totalSteps = totalSteps;
    this.scale = scale;
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    return scale * unscaled(iteration);
  }

  private double unscaled(long step) {
    if (step < warmupSteps) {
      return warmupLr + (peakLr - warmupLr) * step / warmupSteps;
    }
    if (step >= totalSteps) {
      return minLr;
    }
    // timm's default (warmup_prefix=False): the cosine runs over the whole run, warm-up included
    double progress = (double) step / totalSteps;
    return minLr + 0.5 * (peakLr - minLr) * (1 + Math.cos(Math.PI * progress));
  }

  /** The same schedule multiplied by {@code factor} (layer-wise decay). */
  public CosineWarmupSchedule scaled(double factor) {
    return new CosineWarmupSchedule(
        peakLr, warmupLr, minLr, warmupSteps, totalSteps, scale * factor);
  }

  @Override
  public ISchedule clone() {
    return new CosineWarmupSchedule(peakLr, warmupLr, minLr, warmupSteps, totalSteps, scale);
  }

  /**
   * Value equality: Deeplearning4j groups parameters into updater blocks by updater equality, and a
   * restored network must group them as the saved one did, or the saved Adam state is read in the
   * wrong layout (NaN losses after a resume).
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof CosineWarmupSchedule s
        && s.peakLr == peakLr
        && s.warmupLr == warmupLr
        && s.minLr == minLr
        && s.warmupSteps == warmupSteps
        && s.totalSteps == totalSteps
        && s.scale == scale;
  }

  @Override
  public int hashCode() {
    return Objects.hash(peakLr, warmupLr, minLr, warmupSteps, totalSteps, scale);
  }

  public double getPeakLr() {
    return peakLr;
  }

  public double getWarmupLr() {
    return warmupLr;
  }

  public double getMinLr() {
    return minLr;
  }

  public long getWarmupSteps() {
    return warmupSteps;
  }

  public long getTotalSteps() {
    return totalSteps;
  }

  public double getScale() {
    return scale;
  }
}
