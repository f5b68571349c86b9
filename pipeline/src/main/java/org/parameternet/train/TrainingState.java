package org.parameternet.train;

/**
 * Where a run stands, saved with every checkpoint so {@code --resume} continues exactly there.
 *
 * @param model registry name
 * @param classes classifier outputs
 * @param epoch the epoch in progress (0-based)
 * @param round the next averaging round of that epoch to run
 * @param iteration updates done (the schedule position)
 * @param totalSteps updates of the whole run (the schedule's length)
 * @param images training images consumed so far
 * @param seed run seed (epoch plans and augmentation derive from it)
 * @param starts how many times the run has been started (1 = never resumed)
 */
public record TrainingState(
    String model,
    int classes,
    int epoch,
    int round,
    long iteration,
    long totalSteps,
    long images,
    long seed,
    int starts) {

  /**
   * After round {@code round - 1} of {@code epoch}: at step {@code iteration}, more images seen.
   */
  TrainingState afterRound(int epoch, int round, long iteration, long roundImages) {
    return new TrainingState(
        model, classes, epoch, round, iteration, totalSteps, images + roundImages, seed, starts);
  }

  /** At the start of {@code nextEpoch}. */
  TrainingState afterEpoch(int nextEpoch) {
    return new TrainingState(
        model, classes, nextEpoch, 0, iteration, totalSteps, images, seed, starts);
  }
}
