package org.parameternet.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The records {@link MetricsLog} writes, one JSON line each, field names as in the files. A
 * non-finite number is written as null and read back as null, hence the boxed numbers.
 */
public final class Metrics {
  private Metrics() {}

  /** A record of the log, found by its global step. */
  public interface Line {
    long iteration();
  }

  /** One update of the global step: the loss averaged over the workers that made it. */
  public record Step(long iteration, int epoch, Double loss, Double lr, int workers)
      implements Line {}

  /** One averaging round: its steps and images, and where its time went. */
  public record Round(
      long iteration,
      int epoch,
      int round,
      int steps,
      long images,
      Double loss,
      Double lr,
      @JsonProperty("wall_ms") Double wallMs,
      @JsonProperty("compute_ms") Double computeMs,
      @JsonProperty("mean_task_ms") Double meanTaskMs,
      @JsonProperty("overhead_ms") Double overheadMs,
      @JsonProperty("images_per_s") Double imagesPerSecond)
      implements Line {}

  /**
   * One epoch: its mean loss and, with a validation set, top-1/top-5 and loss there (with the EMA
   * weights too when the run keeps them); those are null otherwise.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Epoch(
      long iteration,
      int epoch,
      Double loss,
      long images,
      double seconds,
      @JsonProperty("val_top1") Double valTop1,
      @JsonProperty("val_top5") Double valTop5,
      @JsonProperty("val_loss") Double valLoss,
      @JsonProperty("val_top1_ema") Double valTop1Ema,
      @JsonProperty("val_top5_ema") Double valTop5Ema)
      implements Line {

    /** This epoch with its validation figures. */
    Epoch withValidation(EvaluationResult val, EvaluationResult ema) {
      return new Epoch(
          iteration,
          epoch,
          loss,
          images,
          seconds,
          val.top1(),
          val.top5(),
          val.loss(),
          ema == null ? null : ema.top1(),
          ema == null ? null : ema.top5());
    }

    public boolean validated() {
      return valTop1 != null;
    }
  }
}
