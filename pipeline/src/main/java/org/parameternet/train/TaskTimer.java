package org.parameternet.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Run times of the tasks of one averaging round, from Spark's task-end events. A round runs two
 * jobs (DL4J counts the round's slices, then trains and aggregates); the training stage is the one
 * whose tasks ran longest. Its longest task is the round's computing time; the rest of the wall
 * time is broadcast, transfer, averaging and scheduling. Events arrive asynchronously, so the
 * driver waits for the round's tasks before reading.
 */
final class TaskTimer extends SparkListener {
  private final Map<Integer, List<Long>> runMillisByStage = new HashMap<>();
  private int tasks;

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
    if (end.taskMetrics() != null && end.taskInfo().successful()) {
      runMillisByStage
          .computeIfAbsent(end.stageId(), k -> new ArrayList<>())
          .add(end.taskMetrics().executorRunTime());
      tasks++;
      notifyAll();
    }
  }

  synchronized void reset() {
    runMillisByStage.clear();
    tasks = 0;
  }

  /** Waits (at most {@code timeoutMillis}) until {@code expected} tasks have reported. */
  synchronized void await(int expected, long timeoutMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (tasks < expected) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return;
      }
      wait(left);
    }
  }

  private synchronized List<Long> trainingStage() {
    List<Long> best = List.of();
    long bestMax = -1;
    for (List<Long> stage : runMillisByStage.values()) {
      long max = stage.stream().mapToLong(Long::longValue).max().orElse(0);
      if (max > bestMax) {
        bestMax = max;
        best = stage;
      }
    }
    return best;
  }

  synchronized long maxRunMillis() {
    return trainingStage().stream().mapToLong(Long::longValue).max().orElse(0);
  }

  synchronized double meanRunMillis() {
    return trainingStage().stream().mapToLong(Long::longValue).average().orElse(0);
  }
}
