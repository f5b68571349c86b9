package org.parameternet.ingest;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What one work unit produced: images written per split and the entries it quarantined. Reported by
 * the task through {@link UnitOutcomes}, so the driver can account for every input without a second
 * pass over the images.
 */
record UnitOutcome(
    int unit, Map<String, Long> writtenBySplit, List<IngestRecord.Quarantined> quarantined)
    implements Serializable {

  long written() {
    return writtenBySplit.values().stream().mapToLong(Long::longValue).sum();
  }
}
