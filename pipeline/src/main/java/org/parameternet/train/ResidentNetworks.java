package org.parameternet.train;

import java.util.ArrayDeque;
import java.util.Deque;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * Idle training networks in this JVM, of one run at a time: a task borrows one (each concurrent
 * task its own), trains it, and gives it back. A new run's networks replace the previous run's, so
 * an executor never holds more than its concurrent tasks' worth.
 */
final class ResidentNetworks {
  private static String currentRun;
  private static final Deque<ComputationGraph> IDLE = new ArrayDeque<>();

  // Read only by tests (timesReusedForTests): reuse changes no result, so nothing else shows it
  private static long timesReused;

  private ResidentNetworks() {}

  /** An idle network of {@code run}, or null when there is none (build one). */
  static synchronized ComputationGraph borrow(String run) {
    ComputationGraph network = run.equals(currentRun) ? IDLE.pollFirst() : null;
    if (network != null) {
      timesReused++;
    }
    return network;
  }

  /**
   * Test hook: how many times a kept network was lent out in this JVM, which a test compares before
   * and after a run to see that later rounds trained on kept networks.
   */
  static synchronized long timesReusedForTests() {
    return timesReused;
  }

  static synchronized void giveBack(String run, ComputationGraph network) {
    if (!run.equals(currentRun)) {
      IDLE.clear();
      currentRun = run;
    }
    IDLE.addFirst(network);
  }
}
