package org.parameternet.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.shards.DatasetLayout;

/**
 * For each class of a finetuning data set, the pretraining class with the same wnid (or -1): from
 * the {@code label_map.tsv} ingest wrote with {@code --map-to}, else by matching the two data sets'
 * {@code classes.tsv}.
 */
public final class ClassMapping {
  private ClassMapping() {}

  /** {@code result[i]} = pretraining label of finetuning label i, -1 where it has none. */
  public static int[] of(Configuration hadoop, String finetuneData, String pretrainData)
      throws IOException {
    Path target = new Path(finetuneData);
    FileSystem fs = target.getFileSystem(hadoop);
    DatasetLayout targetLayout = DatasetLayout.read(fs, target);
    List<String> targetWnids = wnids(fs, targetLayout.classes());
    Path labelMap = targetLayout.labelMap();
    List<String> sourceWnids = wnids(hadoop, pretrainData);
    Map<String, Integer> sourceIndex = new HashMap<>();
    for (int i = 0; i < sourceWnids.size(); i++) {
      sourceIndex.put(sourceWnids.get(i), i);
    }
    int[] map = new int[targetWnids.size()];
    for (int i = 0; i < targetWnids.size(); i++) {
      map[i] = sourceIndex.getOrDefault(targetWnids.get(i), -1);
    }
    if (fs.exists(labelMap)) {
      for (String[] row : rows(fs, labelMap)) {
        int label = Integer.parseInt(row[0]);
        int mapped = Integer.parseInt(row[2]);
        // the map names labels of whatever set --map-to pointed at: used where it agrees
        if (mapped >= 0
            && mapped < sourceWnids.size()
            && label < map.length
            && sourceWnids.get(mapped).equals(row[1])) {
          map[label] = mapped;
        }
      }
    }
    return map;
  }

  /** The wnids of an ingested data set, in label order. */
  public static List<String> wnids(Configuration hadoop, String dataset) throws IOException {
    Path dir = new Path(dataset);
    FileSystem fs = dir.getFileSystem(hadoop);
    return wnids(fs, DatasetLayout.read(fs, dir).classes());
  }

  private static List<String> wnids(FileSystem fs, Path classes) throws IOException {
    if (!fs.exists(classes)) {
      throw new IllegalArgumentException("no " + classes + " (is it an ingested data set?)");
    }
    List<String> wnids = new ArrayList<>();
    for (String[] row : rows(fs, classes)) {
      wnids.add(row[1]);
    }
    return wnids;
  }

  private static List<String[]> rows(FileSystem fs, Path tsv) throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(fs.open(tsv), StandardCharsets.UTF_8))) {
      String header = in.readLine();
      if (header == null) {
        throw new IllegalArgumentException(tsv + " is empty");
      }
      String line;
      while ((line = in.readLine()) != null) {
        if (!line.isBlank()) {
          rows.add(line.split("\t"));
        }
      }
    }
    return rows;
  }
}
