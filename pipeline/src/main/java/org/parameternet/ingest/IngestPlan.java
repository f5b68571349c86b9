package org.parameternet.ingest;

import java.util.List;

/**
 * What the driver found in the source before any task ran.
 *
 * @param units work for the executors
 * @param wnids the label space: label i is wnids.get(i), sorted
 * @param planned inputs quarantined while planning (non-synset members, cut-off archives)
 */
record IngestPlan(
    List<WorkUnit> units, List<String> wnids, List<IngestRecord.Quarantined> planned) {}
