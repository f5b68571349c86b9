package org.parameternet.ingest;

import java.util.Map;

/**
 * The account of one ingest run: {@code written + quarantined == inputs}, always.
 *
 * @param bySplit split -> images written
 * @param byReason quarantine reason -> inputs
 */
public record IngestSummary(
    long inputs,
    long written,
    long quarantined,
    Map<String, Long> byReason,
    Map<String, Long> bySplit,
    int classes,
    int shards,
    double seconds,
    boolean reused) {}
