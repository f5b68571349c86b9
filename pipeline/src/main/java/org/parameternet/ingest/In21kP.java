package org.parameternet.ingest;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.image.Rejection;
import org.parameternet.data.tar.TarIndex;
import org.parameternet.data.tar.TarMember;

/**
 * The ImageNet-21K-P recipe on a plan of synset tars: a first distributed pass lists each synset
 * tar's entries (headers only), then small classes are set aside (each of their entries accounted
 * as {@code excluded_small_class}) and the first entries by name of every kept class go to val.
 */
final class In21kP {
  private In21kP() {}

  private record Listing(String wnid, String source, List<String> names) implements Serializable {}

  static IngestPlan apply(
      JavaSparkContext jsc,
      IngestPlan plan,
      IngestOptions.In21kPRecipe recipe,
      HadoopConf conf,
      Map<String, Set<String>> valEntries) {
    List<WorkUnit.SynsetTar> firstParts = firstParts(plan);
    List<Listing> listings =
        jsc.parallelize(firstParts, Math.max(1, firstParts.size()))
            .map(unit -> listing(unit, conf))
            .collect();
    Set<String> kept = new HashSet<>();
    List<IngestRecord.Quarantined> planned = new ArrayList<>(plan.planned());
    for (Listing listing : listings) {
      if (listing.names().size() > recipe.moreThan()) {
        kept.add(listing.wnid());
        valEntries.put(
            listing.wnid(), new HashSet<>(listing.names().subList(0, recipe.valPerClass())));
      } else {
        excludeSmallClass(listing, recipe, planned);
      }
    }
    List<WorkUnit> units = new ArrayList<>();
    for (WorkUnit unit : plan.units()) {
      if (kept.contains(((WorkUnit.SynsetTar) unit).wnid())) {
        units.add(unit);
      }
    }
    List<String> wnids = plan.wnids().stream().filter(kept::contains).toList();
    return new IngestPlan(units, wnids, planned);
  }

  /** Each synset's first part: a synset tar split into parts is listed once, whole. */
  private static List<WorkUnit.SynsetTar> firstParts(IngestPlan plan) {
    List<WorkUnit.SynsetTar> firstParts = new ArrayList<>();
    for (WorkUnit unit : plan.units()) {
      if (!(unit instanceof WorkUnit.SynsetTar tar)) {
        throw new IllegalArgumentException(
            "the ImageNet-21K-P recipe applies to synset tar sources (in22k, in1k-train) only");
      }
      if (tar.part() == 0) {
        firstParts.add(tar);
      }
    }
    return firstParts;
  }

  /** On an executor: the synset tar's entry names, sorted, from its headers only. */
  private static Listing listing(WorkUnit.SynsetTar unit, HadoopConf conf) {
    Path archive = new Path(unit.archive());
    List<String> names = new ArrayList<>();
    try {
      TarIndex index =
          TarIndex.of(archive.getFileSystem(conf.get()), archive, unit.offset(), unit.length());
      for (TarMember m : index.members()) {
        names.add(m.name());
      }
      index.cutMember().ifPresent(names::add);
    } catch (IOException e) {
      // An unreadable synset tar is reported by the main pass; count it as one input.
      names.add("");
    }
    names.sort(null);
    String source = unit.archive() + (unit.member() == null ? "" : "!" + unit.member());
    return new Listing(unit.wnid(), source, names);
  }

  /** Each entry of a class the recipe drops, as a quarantine record: every input is accounted. */
  private static void excludeSmallClass(
      Listing listing, IngestOptions.In21kPRecipe recipe, List<IngestRecord.Quarantined> planned) {
    for (String name : listing.names()) {
      planned.add(
          new IngestRecord.Quarantined(
              listing.source(),
              name,
              Rejection.EXCLUDED_SMALL_CLASS.reason(),
              listing.names().size()
                  + " entries; the 21K-P recipe keeps classes with more than "
                  + recipe.moreThan()));
    }
  }
}
