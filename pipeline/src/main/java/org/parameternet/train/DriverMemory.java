package org.parameternet.train;

import java.util.Locale;

/**
 * What one averaging round brings to the driver, checked against its heap before step one. Each
 * worker's result is its parameters and updater state; DL4J aggregates them with Spark's {@code
 * treeAggregate} (depth 2), whose final fold on the driver receives the partially aggregated
 * partitions' results, and pnet lifts Spark's {@code spark.driver.maxResultSize} limit, so nothing
 * else stops a round that does not fit: 32 workers of ParameterNet-600M would otherwise fail with
 * an OutOfMemoryError only after the first round's compute.
 */
final class DriverMemory {
  /** DL4J's {@code ParameterAveragingTrainingMaster} default aggregation depth. */
  static final int AGGREGATION_DEPTH = 2;

  private DriverMemory() {}

  /**
   * How many results the driver's final fold receives from {@code partitions} workers: Spark's
   * {@code RDD.treeAggregate} divides the partitions by {@code scale} while that saves work.
   */
  static int resultsAtDriver(int partitions, int depth) {
    int n = partitions;
    int scale = Math.max((int) Math.ceil(Math.pow(n, 1.0 / depth)), 2);
    while (n > scale + (int) Math.ceil((double) n / scale)) {
      n /= scale;
    }
    return n;
  }

  /**
   * Refuses a run whose round would not fit: the results at the driver plus the driver's own
   * network and the round's broadcast copy of it, each {@code values} floats (parameters and
   * updater state), against {@code heapBytes}.
   */
  static void requireRoom(long values, int workers, long heapBytes) {
    long result = values * Float.BYTES;
    int results = resultsAtDriver(workers, AGGREGATION_DEPTH);
    long needed = result * (results + 2L);
    if (needed <= heapBytes * 0.9) {
      return;
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "the driver cannot hold an averaging round: %d workers send %d results of %s (the"
                + " parameters and optimizer state) to the driver, %s with its own network and the"
                + " round's broadcast, and its heap is %s. Give the driver at least %s"
                + " (spark.driver.memory), or train with fewer"
                + " workers",
            workers,
            results,
            size(result),
            size(needed),
            size(heapBytes),
            size((long) (needed / 0.9) + (1L << 30))));
  }

  private static String size(long bytes) {
    return bytes >= 1L << 30
        ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%d MB", bytes >> 20);
  }
}
