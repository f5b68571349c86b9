package org.parameternet.ingest;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * The account of one ingest run: {@code written + quarantined == inputs}, always. Written as the
 * data set's {@code _ingest/summary.json} (field names as there) and read back from it by a rerun
 * that keeps the data set.
 *
 * @param bySplit split -> images written
 * @param byReason quarantine reason -> inputs
 * @param reused this run kept the data set already there (not written to the file)
 */
public record IngestSummary(
    long inputs,
    long written,
    long quarantined,
    @JsonProperty("by_reason") Map<String, Long> byReason,
    @JsonProperty("by_split") Map<String, Long> bySplit,
    int classes,
    int shards,
    double seconds,
    @JsonIgnore boolean reused) {

  /** This account as a rerun that kept the data set reports it. */
  IngestSummary asReused() {
    return new IngestSummary(
        inputs, written, quarantined, byReason, bySplit, classes, shards, seconds, true);
  }
}
