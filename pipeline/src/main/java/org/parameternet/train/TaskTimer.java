package org.parameternet.train;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Run time of the tasks that ended since the last {@link #reset}: the longest task of a round is
 * its computing time; the rest of the round's wall time is averaging, broadcast, transfer and
 * scheduling.
 */
final class TaskTimer extends SparkListener {
  private long maxRunMillis;
  private long sumRunMillis;
  private int tasks;

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    if (end.taskMetrics() != null && end.taskInfo().successful()) {
      long run = end.taskMetrics().executorRunTime();
      maxRunMillis = Math.max(maxRunMillis, run);
      sumRunMillis += run;
      tasks++;
    }
  }

  synchronized void reset() {
    maxRunMillis = 0;
    sumRunMillis = 0;
    tasks = 0;
  }

  synchronized long maxRunMillis() {
    return maxRunMillis;
  }

  synchronized double meanRunMillis() {
    return tasks == 0 ? 0 : (double) sumRunMillis / tasks;
  }
}
