package org.parameternet.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.data.shards.DatasetManifest;

/**
 * Maps one dataset's label space onto another's by wnid: {@code label_map.tsv} holds, for every
 * label here, the label of the same wnid there or -1. Finetuning uses it to carry classifier rows
 * over from a 22K pretraining head to a 1K head.
 */
final class LabelMap {
  private LabelMap() {}

  /** The target label space, {@code classes.tsv} of a dataset (or the file itself). */
  record Target(Path classes, Map<String, Integer> labels) {}

  /**
   * Reads and checks the target's {@code classes.tsv} (before any decoding: a typo must not cost
   * the decode pass); a malformed line is an error naming the file and line.
   */
  static Target read(Configuration hadoop, String target) throws IOException {
    FileSystem targetFs = new Path(target).getFileSystem(hadoop);
    Path classes;
    if (target.endsWith(".tsv")) {
      classes = new Path(target);
    } else if (DatasetLayout.isDataset(targetFs, new Path(target))) {
      classes = DatasetLayout.read(targetFs, new Path(target)).classes();
    } else {
      throw new IllegalArgumentException(
          "ingest.map-to: " + target + " is neither an ingested data set nor a classes .tsv file");
    }
    if (!targetFs.exists(classes)) {
      throw new IllegalArgumentException("ingest.map-to: no class list at " + classes);
    }
    Map<String, Integer> there = new HashMap<>();
    try (InputStream in = targetFs.open(classes)) {
      List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      for (int n = 1; n < lines.size(); n++) {
        String[] cols = lines.get(n).split("\t");
        if (cols.length < 2 || !cols[0].matches("\\d+") || cols[1].isBlank()) {
          throw new IllegalArgumentException(
              "ingest.map-to: "
                  + classes
                  + " line "
                  + (n + 1)
                  + " is not '<label><TAB><wnid>...': "
                  + lines.get(n));
        }
        there.put(cols[1], Integer.parseInt(cols[0]));
      }
    }
    return new Target(classes, there);
  }

  /** Writes the map and returns what {@code _dataset.json} records about it. */
  static DatasetManifest.LabelMapping write(
      FileSystem fs, Target target, List<String> wnids, Path out) throws IOException {
    Map<String, Integer> there = target.labels();
    Path classes = target.classes();
    StringBuilder tsv = new StringBuilder("label\twnid\ttarget_label\n");
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < wnids.size(); i++) {
      Integer label = there.get(wnids.get(i));
      if (label == null) {
        missing.add(wnids.get(i));
      }
      tsv.append(i)
          .append('\t')
          .append(wnids.get(i))
          .append('\t')
          .append(label == null ? -1 : label)
          .append('\n');
    }
    try (OutputStream o = fs.create(out, false)) {
      o.write(tsv.toString().getBytes(StandardCharsets.UTF_8));
    }
    return new DatasetManifest.LabelMapping(
        classes.toString(), wnids.size() - missing.size(), missing);
  }
}
