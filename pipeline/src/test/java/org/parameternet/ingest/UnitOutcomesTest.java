package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnitOutcomesTest {
  private static final IngestRecord.Quarantined BAD =
      new IngestRecord.Quarantined("a.tar!x.JPEG", "x.JPEG", "corrupt", "no end marker");

  /** A re-executed task reports its unit again; the account must not grow. */
  @Test
  void aUnitReportedTwiceCountsOnce() {
    UnitOutcomes driver = new UnitOutcomes();
    UnitOutcomes firstAttempt = (UnitOutcomes) driver.copyAndReset();
    firstAttempt.add(new UnitOutcome(3, Map.of("train", 5L), List.of(BAD)));
    UnitOutcomes rerun = (UnitOutcomes) driver.copyAndReset();
    rerun.add(new UnitOutcome(3, Map.of("train", 5L), List.of(BAD)));
    UnitOutcomes other = (UnitOutcomes) driver.copyAndReset();
    other.add(new UnitOutcome(4, Map.of("train", 2L, "val", 1L), List.of()));

    driver.merge(firstAttempt);
    driver.merge(rerun);
    driver.merge(other);

    assertEquals(2, driver.value().size());
    assertEquals(5 + 1 + 3, driver.inputs());
    assertEquals(3, driver.value().get(4).written());
  }

  @Test
  void copiesAreIndependentAndResetEmpties() {
    UnitOutcomes a = new UnitOutcomes();
    assertTrue(a.isZero());
    a.add(new UnitOutcome(0, Map.of("train", 1L), List.of()));
    UnitOutcomes copy = a.copy();
    a.reset();
    assertTrue(a.isZero());
    assertEquals(1, copy.inputs());
  }
}
