package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RoundStepsTest {
  /** Worker 1's task ran twice (its executor died during the aggregation): it counts once. */
  @Test
  void aReRunWorkersRecordsCountOnce() {
    List<StepRecord> records =
        List.of(
            new StepRecord(11, 0, 2.0, 5),
            new StepRecord(11, 1, 4.0, 5),
            new StepRecord(12, 0, 1.0, 5),
            new StepRecord(12, 1, 3.0, 5),
            new StepRecord(11, 1, 4.0, 6), // the re-run
            new StepRecord(12, 1, 3.0, 6));
    TreeMap<Long, RoundSteps.Step> steps = RoundSteps.byStep(records);
    assertEquals(new RoundSteps.Step(3.0, 2), steps.get(11L));
    assertEquals(new RoundSteps.Step(2.0, 2), steps.get(12L));
  }
}
