package org.parameternet.ingest;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.util.AccumulatorV2;

/**
 * Accumulates each work unit's {@link UnitOutcome}, keyed by unit. Spark may merge a unit's update
 * twice when a stage is re-executed (a lost executor's shuffle output, speculation); keying by unit
 * makes the account exact anyway, because a unit's outcome is the same on every run.
 */
final class UnitOutcomes extends AccumulatorV2<UnitOutcome, Map<Integer, UnitOutcome>> {
  // Read by the progress listener while the scheduler merges: concurrent
  private final ConcurrentHashMap<Integer, UnitOutcome> byUnit = new ConcurrentHashMap<>();

  @Override
  public boolean isZero() {
    return byUnit.isEmpty();
  }

  @Override
  public UnitOutcomes copy() {
    UnitOutcomes copy = new UnitOutcomes();
    copy.byUnit.putAll(byUnit);
    return copy;
  }

  @Override
  public void reset() {
    byUnit.clear();
  }

  @Override
  public void add(UnitOutcome outcome) {
    byUnit.putIfAbsent(outcome.unit(), outcome);
  }

  @Override
  public void merge(
      org.apache.spark.util.AccumulatorV2<UnitOutcome, Map<Integer, UnitOutcome>> other) {
    other.value().forEach(byUnit::putIfAbsent);
  }

  @Override
  public Map<Integer, UnitOutcome> value() {
    return Collections.unmodifiableMap(byUnit);
  }

  /** Inputs the reported units have accounted for so far. */
  long inputs() {
    long inputs = 0;
    for (UnitOutcome o : byUnit.values()) {
      inputs += o.written() + o.quarantined().size();
    }
    return inputs;
  }
}
