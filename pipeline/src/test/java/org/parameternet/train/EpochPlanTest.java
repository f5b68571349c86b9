package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardReader;
import org.parameternet.data.shards.ShardSlice;

class EpochPlanTest {
  private static final List<RowGroup> GROUPS =
      List.of(
          new RowGroup("hdfs://nn:8020/d/data/split=train/part-0.parquet", 0, 100),
          new RowGroup("hdfs://nn:8020/d/data/split=train/part-0.parquet", 1, 37),
          new RowGroup("file:/tmp/with%20space/part-1.parquet", 0, 64));

  /** Every row of every group exactly once per epoch. */
  @Test
  void anEpochVisitsEveryRowOnce() {
    EpochPlan plan = EpochPlan.of(GROUPS, 42, 0, 3, 16, 2);
    assertEquals(201, plan.images());
    Set<String> seen = new HashSet<>();
    for (ShardSlice s : plan.slices()) {
      int[] order = ShardReader.permutation((int) s.group().rows(), s.permutationSeed());
      for (int i = s.from(); i < s.to(); i++) {
        String row = s.group().file() + "#" + s.group().index() + "/" + order[i];
        assertEquals(true, seen.add(row), "row visited twice: " + row);
      }
    }
    assertEquals(201, seen.size());
    // slices of 16 rows: 7 + 3 + 4 = 14 slices, 6 per round of 3 workers x 2
    assertEquals(14, plan.slices().size());
    assertEquals(3, plan.rounds());
    assertEquals(2, plan.round(2).size());
  }

  @Test
  void epochsAreShuffledDifferentlyAndReproducibly() {
    List<String> a = descriptors(EpochPlan.of(GROUPS, 42, 0, 2, 16, 2));
    assertEquals(a, descriptors(EpochPlan.of(GROUPS, 42, 0, 2, 16, 2)));
    assertNotEquals(a, descriptors(EpochPlan.of(GROUPS, 42, 1, 2, 16, 2)));
  }

  /** The schedule advances by the most updates any worker makes in a round. */
  @Test
  void stepsCountTheBusiestWorker() {
    EpochPlan plan = EpochPlan.of(List.of(new RowGroup("file:/a", 0, 40)), 1, 0, 2, 16, 2);
    // slices 16, 16, 8: worker 0 gets one slice (16 rows), worker 1 two (24 rows = 2 batches)
    assertEquals(1, plan.rounds());
    assertEquals(2, plan.steps(0));
    assertEquals(2, plan.stepsPerEpoch());
  }

  @Test
  void slicesTravelAsUriDescriptors() {
    for (ShardSlice s : EpochPlan.of(GROUPS, 7, 3, 2, 16, 2).slices()) {
      assertEquals(s, ShardSlice.parse(s.toDescriptor()));
    }
    assertThrows(IllegalArgumentException.class, () -> ShardSlice.parse("file:/a.parquet"));
    assertThrows(
        IllegalArgumentException.class,
        () -> ShardSlice.parse("file:/a.parquet#rg=0,rows=10,seed=1,from=5,to=20"));
  }

  private static List<String> descriptors(EpochPlan plan) {
    List<String> out = new ArrayList<>();
    plan.slices().forEach(s -> out.add(s.toDescriptor()));
    return out;
  }
}
