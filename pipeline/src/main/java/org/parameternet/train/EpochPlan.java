package org.parameternet.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardSlice;

/**
 * The order one epoch visits the data in, and how it is dealt to workers. Row groups are shuffled
 * (seeded by run seed and epoch), each group's rows permuted, and cut into minibatch slices. A
 * round gives every worker {@code averaging-frequency} consecutive slices (so a worker mostly reads
 * one row group per round), then the parameters are averaged.
 *
 * <p>Classes are already mixed within row groups by ingest's seeded shuffle, so this two-level
 * shuffle gives minibatches of mixed classes without a global shuffle of the data.
 */
public final class EpochPlan {
  private final List<ShardSlice> slices;
  private final int workers;
  private final int batch;
  private final int frequency;

  private EpochPlan(List<ShardSlice> slices, int workers, int batch, int frequency) {
    this.slices = slices;
    this.workers = workers;
    this.batch = batch;
    this.frequency = frequency;
  }

  public static EpochPlan of(
      List<RowGroup> groups, long seed, int epoch, int workers, int batch, int frequency) {
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("no data to train on (no non-empty row groups)");
    }
    Random random = new Random(seed * 1_000_003L + epoch);
    List<RowGroup> order = new ArrayList<>(groups);
    Collections.shuffle(order, random);
    List<ShardSlice> slices = new ArrayList<>();
    for (RowGroup g : order) {
      long permutationSeed = random.nextLong();
      for (long from = 0; from < g.rows(); from += batch) {
        slices.add(
            new ShardSlice(g, permutationSeed, (int) from, (int) Math.min(g.rows(), from + batch)));
      }
    }
    return new EpochPlan(slices, workers, batch, frequency);
  }

  public long images() {
    return slices.stream().mapToLong(ShardSlice::size).sum();
  }

  public int rounds() {
    int perRound = workers * frequency;
    return (slices.size() + perRound - 1) / perRound;
  }

  /** The slices of round {@code r}, worker-major: worker w's are the w-th consecutive run. */
  public List<ShardSlice> round(int r) {
    int perRound = workers * frequency;
    return slices.subList(r * perRound, Math.min(slices.size(), (r + 1) * perRound));
  }

  /**
   * Updates each worker makes in round r (the most any worker makes, which is what the schedule
   * advances by). Spark's parallelize splits the round's list into {@code workers} contiguous runs;
   * Deeplearning4j re-batches each run into minibatches of {@code batch}.
   */
  public int steps(int r) {
    List<ShardSlice> round = round(r);
    int n = round.size();
    int most = 0;
    for (int w = 0; w < workers; w++) {
      // the same split as ParallelCollectionRDD.positions
      int start = (int) ((long) w * n / workers);
      int end = (int) ((long) (w + 1) * n / workers);
      long rows = 0;
      for (int i = start; i < end; i++) {
        rows += round.get(i).size();
      }
      most = Math.max(most, (int) ((rows + batch - 1) / batch));
    }
    return most;
  }

  public long stepsPerEpoch() {
    long total = 0;
    for (int r = 0; r < rounds(); r++) {
      total += steps(r);
    }
    return total;
  }

  public List<ShardSlice> slices() {
    return Collections.unmodifiableList(slices);
  }
}
