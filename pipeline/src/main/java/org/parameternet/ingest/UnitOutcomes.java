package org.parameternet.ingest;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.util.AccumulatorV2;

/**
 * Accumulates each work unit's {@link UnitOutcome}, keyed by unit. Spark may merge a unit's update
 * twice when a stage is re-executed (a lost executor's shuffle output, speculation); keying by unit
 * makes the account exact anyway, because a unit's outcome is the same on every run.
 */
final class UnitOutcomes extends AccumulatorV2<UnitOutcome, Map<Integer, UnitOutcome>> {
  // Read by the progress listener while the scheduler merges: concurrent
  private final ConcurrentHashMap<Integer, UnitOutcome> byUnit = new ConcurrentHashMap<>();
  private final AtomicLong inputs = new AtomicLong();

  @Override
  public boolean isZero() {
    return byUnit.isEmpty();
  }

  @Override
  public UnitOutcomes copy() {
    UnitOutcomes copy = new UnitOutcomes();
    byUnit.values().forEach(copy::add);
    return copy;
  }

  @Override
  public void reset() {
    byUnit.clear();
    inputs.set(0);
  }

  @Override
  public void add(UnitOutcome outcome) {
    if (byUnit.putIfAbsent(outcome.unit(), outcome) == null) {
      inputs.addAndGet(outcome.written() + outcome.quarantined().size());
    }
  }

  @Override
  public void merge(AccumulatorV2<UnitOutcome, Map<Integer, UnitOutcome>> other) {
    other.value().values().forEach(this::add);
  }

  @Override
  public Map<Integer, UnitOutcome> value() {
    return Collections.unmodifiableMap(byUnit);
  }

  /** Inputs the reported units have accounted for so far. */
  long inputs() {
    return inputs.get();
  }
}
