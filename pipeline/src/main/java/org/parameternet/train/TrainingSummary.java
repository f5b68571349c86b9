package org.parameternet.train;

import java.util.Optional;
import org.apache.hadoop.fs.Path;

/**
 * The outcome of a training run: its last checkpoint, final state and the metrics of the last epoch
 * it trained (none when a resume found the run already finished).
 */
public record TrainingSummary(
    Path checkpoint, TrainingState state, Optional<Metrics.Epoch> lastEpoch) {}
