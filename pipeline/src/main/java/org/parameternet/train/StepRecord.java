package org.parameternet.train;

import java.io.Serializable;

/**
 * One worker's update, reported from the executor.
 *
 * @param iteration the global step the update made
 * @param worker Spark partition (worker slot) within the round
 * @param loss data loss of the minibatch (the regularisation term removed)
 * @param millis wall time since the worker's previous update (NaN for its first in a round)
 */
public record StepRecord(long iteration, int worker, double loss, double millis)
    implements Serializable {}
