package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Top-1/top-5 against a count by hand. */
class TopKTest {
  @Test
  void hitsMatchAHandCount() {
    INDArray scores =
        Nd4j.createFromArray(
            new float[][] {
              // true class 0 is best: top-1 and top-5 hit
              {0.5f, 0.1f, 0.1f, 0.1f, 0.1f, 0.05f, 0.05f},
              // true class 6 is 5th best (0.30 > 0.20 > 0.15 > 0.12 > 0.10): top-5 only
              {0.30f, 0.20f, 0.15f, 0.12f, 0.01f, 0.02f, 0.10f},
              // true class 4 is 6th best: neither
              {0.30f, 0.20f, 0.15f, 0.12f, 0.01f, 0.10f, 0.12f},
              // true class 2 ties with class 1 for best: the lower index wins the tie, so no top-1
              {0.1f, 0.4f, 0.4f, 0.05f, 0.05f, 0.0f, 0.0f},
            });
    // by hand: top-1 hits = row 0 only; top-5 hits = rows 0, 1, 3
    assertArrayEquals(new long[] {1, 3}, TopK.hits(scores, new int[] {0, 6, 4, 2}));
  }
}
