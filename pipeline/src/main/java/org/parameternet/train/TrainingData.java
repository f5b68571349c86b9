package org.parameternet.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.shards.RowGroup;
import org.parameternet.data.shards.ShardReader;
import org.parameternet.ingest.IngestJob;

/** What training needs to know about an ingested data set, read from its files. */
public final class TrainingData {
  private TrainingData() {}

  /** Classifier outputs of the data set's label space, from {@code _dataset.json}. */
  public static int classes(Configuration hadoop, String dataset) throws IOException {
    Path path = new Path(dataset);
    FileSystem fs = path.getFileSystem(hadoop);
    Path marker = new Path(path, IngestJob.DATASET_MARKER);
    if (!fs.exists(marker)) {
      throw new IllegalArgumentException(
          dataset + " is not an ingested data set (no " + IngestJob.DATASET_MARKER + ")");
    }
    try (InputStream in = fs.open(marker)) {
      JsonNode json = new ObjectMapper().readTree(in);
      if (!json.has("classes")) {
        throw new IllegalArgumentException(marker + " has no 'classes' entry");
      }
      return json.get("classes").asInt();
    }
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
    for (Path p : ShardReader.shardFiles(fs, path, split)) {
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
                .flatMap(
                    f ->
                        ShardReader.rowGroups(conf.get(), new Path(java.net.URI.create(f)))
                            .iterator())
                .collect());
    return groups;
  }
}
