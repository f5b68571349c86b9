package org.parameternet.ingest;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * The driver's progress bar: work units done of total with ETA, and inputs processed per second. On
 * a terminal it redraws in place; in a log (no console, e.g. a cluster driver) it prints a line
 * every few seconds.
 */
final class IngestProgress {
  private final ProgressBar bar;
  private final SparkListener listener;
  private final SparkSession spark;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private IngestProgress(ProgressBar bar, SparkListener listener, SparkSession spark) {
    this.bar = bar;
    this.listener = listener;
    this.spark = spark;
  }

  static IngestProgress start(SparkSession spark, UnitOutcomes outcomes, int total, String unit) {
    String stage = spark.sparkContext().getLocalProperty("spark.job.description");
    ProgressBarBuilder builder =
        new ProgressBarBuilder().setTaskName(stage).setInitialMax(total).setUnit(" " + unit, 1);
    if (System.console() == null) {
      builder.setConsumer(new DelegatingProgressBarConsumer(System.err::println, 200));
      builder.setStyle(ProgressBarStyle.ASCII);
      builder.setUpdateIntervalMillis(5000);
    }
    ProgressBar bar = builder.build();
    long start = System.nanoTime();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            // The scheduler merges a task's accumulator updates before posting its end
            if (end.taskInfo().successful()) {
              bar.stepTo(outcomes.value().size());
              long inputs = outcomes.inputs();
              double seconds = (System.nanoTime() - start) / 1e9;
              bar.setExtraMessage(
                  String.format(Locale.ROOT, "%d inputs, %.1f inputs/s", inputs, inputs / seconds));
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    return new IngestProgress(bar, listener, spark);
  }

  /** Idempotent: the job stops the bar when the images are written and again on the way out. */
  void stop() {
    if (stopped.compareAndSet(false, true)) {
      spark.sparkContext().removeSparkListener(listener);
      bar.close();
    }
  }
}
