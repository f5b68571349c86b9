package org.parameternet.ingest;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/** A driver-side progress line: units done of total, inputs/s, ETA. */
final class IngestProgress {
  private final Thread printer;
  private final SparkListener listener;
  private final SparkSession spark;

  private IngestProgress(Thread printer, SparkListener listener, SparkSession spark) {
    this.printer = printer;
    this.listener = listener;
    this.spark = spark;
  }

  static IngestProgress start(SparkSession spark, LongAccumulator inputs, int total, String unit) {
    AtomicInteger done = new AtomicInteger();
    String stage = spark.sparkContext().getLocalProperty("spark.job.description");
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            if (end.taskInfo().successful() && done.get() < total) {
              done.incrementAndGet();
            }
          }
        };
    spark.sparkContext().addSparkListener(listener);
    long start = System.nanoTime();
    Thread printer =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  Thread.sleep(5000);
                  double seconds = (System.nanoTime() - start) / 1e9;
                  int d = Math.min(done.get(), total);
                  double rate = inputs.value() / seconds;
                  double eta = d == 0 ? Double.NaN : seconds * (total - d) / d;
                  System.err.printf(
                      Locale.ROOT,
                      "%s: %d/%d %s, %d inputs, %.1f inputs/s, ETA %s%n",
                      stage,
                      d,
                      total,
                      unit,
                      inputs.value(),
                      rate,
                      Double.isNaN(eta) ? "?" : String.format(Locale.ROOT, "%.0f s", eta));
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "ingest-progress");
    printer.setDaemon(true);
    printer.start();
    return new IngestProgress(printer, listener, spark);
  }

  void stop() {
    printer.interrupt();
    spark.sparkContext().removeSparkListener(listener);
  }
}
