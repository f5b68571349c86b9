package org.parameternet.train;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.data.shards.DatasetManifest;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardReader;

/** What training needs to know about an ingested data set, read from its files. */
public final class TrainingData {
  private TrainingData() {}

  /** Classifier outputs of the data set's label space, from {@code _dataset.json}. */
  public static int classes(Configuration hadoop, String dataset) throws IOException {
    Path path = new Path(dataset);
    return DatasetManifest.read(path.getFileSystem(hadoop), DatasetLayout.manifestOf(path))
        .classes();
  }

  /**
   * Refuses an evaluation data set whose labels mean something else: it must be an ingested data
   * set with the {@code split} split, and its classes must be the training set's wnids in the same
   * order (a set with as many classes in another order would give silently wrong top-1).
   *
   * @param what the configuration key or role named in errors, e.g. {@code train.data.val-path}
   */
  public static void requireSameLabelSpace(
      Configuration hadoop, String trained, String evaluated, String split, String what)
      throws IOException {
    classes(hadoop, evaluated); // an ingested data set at all
    Path path = new Path(evaluated);
    FileSystem fs = path.getFileSystem(hadoop);
    ShardReader.shardFiles(fs, DatasetLayout.read(fs, path), split); // the split exists
    List<String> expected = ClassMapping.wnids(hadoop, trained);
    List<String> actual = ClassMapping.wnids(hadoop, evaluated);
    if (expected.equals(actual)) {
      return;
    }
    int i = 0;
    while (i < Math.min(expected.size(), actual.size()) && expected.get(i).equals(actual.get(i))) {
      i++;
    }
    throw new IllegalArgumentException(
        what
            + " "
            + evaluated
            + " does not share the label space of "
            + trained
            + ": "
            + actual.size()
            + " against "
            + expected.size()
            + " classes, first difference at label "
            + i
            + " ("
            + (i < actual.size() ? actual.get(i) : "none")
            + " against "
            + (i < expected.size() ? expected.get(i) : "none")
            + "); ingest it mapped onto the training set's classes (ingest's map-to), or use data of that label"
            + " space");
  }

  /**
   * Row groups of one split, footers read in parallel on the executors (22K has thousands of
   * shards), in file order.
   */
  public static List<RowGroup> rowGroups(JavaSparkContext sc, String dataset, String split)
      throws IOException {
    Configuration hadoop = sc.hadoopConfiguration();
    Path path = new Path(dataset);
    FileSystem fs = path.getFileSystem(hadoop);
    List<String> files = new ArrayList<>();
    for (Path p : ShardReader.shardFiles(fs, DatasetLayout.read(fs, path), split)) {
      files.add(fs.makeQualified(p).toUri().toString());
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no shards in split '" + split + "' of " + dataset);
    }
    HadoopConf conf = new HadoopConf(hadoop);
    sc.setJobDescription("read the footers of " + files.size() + " shards of " + dataset);
    List<RowGroup> groups =
        new ArrayList<>(
            sc.parallelize(files, Math.max(1, Math.min(files.size(), sc.defaultParallelism() * 4)))
                .flatMap(f -> ShardReader.rowGroups(conf.get(), new Path(URI.create(f))).iterator())
                .collect());
    return groups;
  }
}
