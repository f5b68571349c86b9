package org.parameternet.train;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Top-1 / top-5 hit counting on a batch of class scores (ties count against the true class). */
public final class TopK {
  private TopK() {}

  /** Rank of the true class: how many classes score strictly higher, or equal and lower index. */
  static int rank(INDArray scores, int row, int label) {
    long classes = scores.size(1);
    double truth = scores.getDouble(row, label);
    int rank = 0;
    for (int k = 0; k < classes; k++) {
      double s = scores.getDouble(row, k);
      if (s > truth || (s == truth && k < label)) {
        rank++;
      }
    }
    return rank;
  }

  /** {hits in top 1, hits in top 5} of a batch. */
  public static long[] hits(INDArray scores, int[] labels) {
    long top1 = 0;
    long top5 = 0;
    for (int i = 0; i < labels.length; i++) {
      int r = rank(scores, i, labels[i]);
      if (r < 1) {
        top1++;
      }
      if (r < 5) {
        top5++;
      }
    }
    return new long[] {top1, top5};
  }
}
