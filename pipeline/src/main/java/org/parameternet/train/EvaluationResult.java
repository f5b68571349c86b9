package org.parameternet.train;

import java.io.Serializable;

/** Counts of a distributed evaluation pass. */
public record EvaluationResult(long images, long top1Hits, long top5Hits, double lossSum)
    implements Serializable {

  public static final EvaluationResult EMPTY = new EvaluationResult(0, 0, 0, 0);

  public EvaluationResult plus(EvaluationResult o) {
    return new EvaluationResult(
        images + o.images, top1Hits + o.top1Hits, top5Hits + o.top5Hits, lossSum + o.lossSum);
  }

  /** Top-1 accuracy in percent. */
  public double top1() {
    return images == 0 ? Double.NaN : 100.0 * top1Hits / images;
  }

  public double top5() {
    return images == 0 ? Double.NaN : 100.0 * top5Hits / images;
  }

  /** Mean cross-entropy (natural log) of the true class. */
  public double loss() {
    return images == 0 ? Double.NaN : lossSum / images;
  }
}
