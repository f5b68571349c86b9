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

  private static long reused;

  private ResidentNetworks() {}

  /** An idle network of {@code run}, or null when there is none (build one). */
  static synchronized ComputationGraph borrow(String run) {
    ComputationGraph network = run.equals(currentRun) ? IDLE.pollFirst() : null;
    if (network != null) {
      reused++;
    }
    return network;
  }

  /** How many times a kept network was lent out in this JVM. */
  static synchronized long reused() {
    return reused;
  }

  static synchronized void giveBack(String run, ComputationGraph network) {
    if (!run.equals(currentRun)) {
      IDLE.clear();
      currentRun = run;
    }
    IDLE.addFirst(network);
  }
}
