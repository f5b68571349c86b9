package org.parameternet.ingest;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.parameternet.data.image.ImageOptions;

/**
 * The heap one ingest task may need, against what an executor gives each of its tasks, checked
 * before any work. A task holds at most one input at a time: its bytes (up to {@link
 * ImageOptions#maxFileBytes()}), the decoded RGB pixels (3 bytes each, up to {@code max-pixels}),
 * and the far smaller resized and encoded image. An executor runs {@code spark.executor.cores /
 * spark.task.cpus} tasks at once in one heap, of which Spark reserves 300 MB; this class asks for
 * the worst case of every task to fit in 80% of the rest, so that a crafted or huge input fails as
 * {@code too_large} instead of taking the executor down with an OutOfMemoryError.
 */
final class TaskMemory {
  private static final long SPARK_RESERVED = 300L << 20;
  private static final double USABLE = 0.8;

  private TaskMemory() {}

  /** The most heap one task can need under {@code image}'s limits. */
  static long worstCasePerTask(ImageOptions image) {
    return image.maxFileBytes() + 3 * image.maxPixels();
  }

  /** Refuses limits whose worst case does not fit the executors' heap, naming what to change. */
  static void check(SparkSession spark, ImageOptions image) {
    SparkConf conf = spark.sparkContext().getConf();
    boolean local = spark.sparkContext().master().startsWith("local");
    long heap =
        local
            ? Runtime.getRuntime().maxMemory()
            : conf.getSizeAsBytes("spark.executor.memory", "1g");
    // Unset executor cores: YARN and Kubernetes run one task per executor by default; a standalone
    // executor takes all its worker's cores, which the driver cannot see (the docs say to set it)
    int tasks =
        local
            ? spark.sparkContext().defaultParallelism()
            : Math.max(
                1, conf.getInt("spark.executor.cores", 1) / conf.getInt("spark.task.cpus", 1));
    long budget = (long) ((heap - SPARK_RESERVED) * USABLE) / tasks;
    long need = worstCasePerTask(image);
    if (need > budget) {
      long fitting = Math.max(0, (budget - (16L << 20)) / 11);
      throw new IllegalArgumentException(
          String.format(
              "--max-pixels %d lets one ingest task hold up to %d MB (the file at 8 bytes a pixel"
                  + " + 16 MB, and the decoded pixels at 3), but %s gives each of its %d task(s)"
                  + " %d MB (80%% of the heap above Spark's 300 MB). Lower --max-pixels to %d or"
                  + " less, or give %s more memory (or fewer cores). Nothing was read.",
              image.maxPixels(),
              need >> 20,
              local ? "the driver's heap" : "spark.executor.memory",
              tasks,
              budget >> 20,
              fitting,
              local ? "the driver (PNET_DRIVER_MEMORY)" : "the executors"));
    }
  }
}
