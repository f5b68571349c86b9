package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DriverMemoryTest {
  /** Spark's treeAggregate at depth 2, worked by hand from RDD.treeAggregate. */
  @Test
  void theDriversFoldReceivesTheTreesLastLevel() {
    assertEquals(1, DriverMemory.resultsAtDriver(1, 2));
    assertEquals(2, DriverMemory.resultsAtDriver(2, 2));
    assertEquals(2, DriverMemory.resultsAtDriver(8, 2)); // scale 3: 8 > 3 + 3, 8 -> 2
    assertEquals(3, DriverMemory.resultsAtDriver(3, 2)); // scale 2: 3 > 2 + 2 is false
    assertEquals(5, DriverMemory.resultsAtDriver(32, 2)); // scale 6: 32 -> 5
    assertEquals(10, DriverMemory.resultsAtDriver(100, 2)); // scale 10: 100 -> 10
  }

  /** ParameterNet-600M's 33.3M parameters with Adam, 32 workers, on a 2 GB and a 16 GB driver. */
  @Test
  void aRoundTooLargeForTheDriverIsRefusedWithTheNumbers() {
    long values = 3 * 33_300_000L;
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> DriverMemory.requireRoom(values, 32, 2L << 30));
    assertTrue(e.getMessage().contains("32 workers send 5 results of 381 MB"), e.getMessage());
    assertTrue(e.getMessage().contains("spark.driver.memory"), e.getMessage());
    DriverMemory.requireRoom(values, 32, 16L << 30);
  }
}
