package org.parameternet.train;

import java.util.Map;
import org.apache.hadoop.fs.Path;

/** The outcome of a training run: its last checkpoint, final state and last epoch's metrics. */
public record TrainingSummary(
    Path checkpoint, TrainingState state, Map<String, Object> lastEpoch) {}
