package org.parameternet.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.rand;
import static org.apache.spark.sql.functions.sum;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.parameternet.data.HadoopConf;

/**
 * Ingest on Spark: plan on the driver (headers and label files only), process each work unit in a
 * task, then write shards of mixed classes, the quarantine table, {@code classes.tsv}, {@code
 * _ingest/summary.json} and finally {@code _dataset.json}. Everything is written under a staging
 * directory and moved into place at the end, so readers never see a half-written dataset and a
 * rerun after a crash starts clean.
 */
public final class IngestJob {
  public static final String DATASET_MARKER = "_dataset.json";

  /**
   * Parquet row-group size of the shards. Training reads a row group per minibatch slice, so small
   * groups keep its read amplification low; 16 MB is ~500 images at 256 px.
   */
  public static final long ROW_GROUP_BYTES = 16L << 20;

  private static final String STAGING_PREFIX = ".staging-";

  private IngestJob() {}

  public static IngestSummary run(SparkSession spark, IngestOptions options) throws IOException {
    long start = System.nanoTime();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path out = new Path(options.out());
    FileSystem fs = out.getFileSystem(hadoop);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    if (fs.exists(new Path(out, DATASET_MARKER)) && !options.overwrite()) {
      Map<?, ?> previous;
      try (java.io.InputStream in = fs.open(new Path(out, "_ingest/summary.json"))) {
        previous = json.readValue(in, Map.class);
      }
      return new IngestSummary(
          ((Number) previous.get("inputs")).longValue(),
          ((Number) previous.get("written")).longValue(),
          ((Number) previous.get("quarantined")).longValue(),
          Map.of(),
          Map.of(),
          ((Number) previous.get("classes")).intValue(),
          ((Number) previous.get("shards")).intValue(),
          0,
          true);
    }
    removeStaleStaging(fs, out);
    Path staging = new Path(out, STAGING_PREFIX + UUID.randomUUID());

    FileSystem sourceFs = new Path(options.source()).getFileSystem(hadoop);
    spark.sparkContext().setJobDescription("ingest: plan " + options.source());
    IngestPlan plan = IngestPlanner.plan(sourceFs, options);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Map<String, java.util.Set<String>> valEntries = new HashMap<>();
    if (options.in21kP() != null) {
      spark
          .sparkContext()
          .setJobDescription("ingest: count images per synset (ImageNet-21K-P recipe)");
      plan = In21kP.apply(jsc, plan, options.in21kP(), new HadoopConf(hadoop), valEntries);
    }
    Map<String, Integer> labels = new HashMap<>();
    for (int i = 0; i < plan.wnids().size(); i++) {
      labels.put(plan.wnids().get(i), i);
    }

    Broadcast<Map<String, Integer>> labelsByWnid = jsc.broadcast(labels);
    Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(hadoop));
    Broadcast<Map<String, java.util.Set<String>>> valByWnid = jsc.broadcast(valEntries);
    LongAccumulator processed = spark.sparkContext().longAccumulator("ingest inputs processed");
    String split = options.format().split();
    int tasks = Math.max(1, plan.units().size());
    JavaRDD<Row> rows =
        jsc.parallelize(plan.units(), tasks)
            .flatMap(
                unit -> {
                  List<IngestRecord> records =
                      new UnitProcessor(options.image(), conf.value().get()).process(unit);
                  processed.add(records.size());
                  List<Row> result = new ArrayList<>(records.size());
                  for (IngestRecord r : records) {
                    result.add(toRow(r, labelsByWnid.value(), split, valByWnid.value()));
                  }
                  return result.iterator();
                })
            .persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> all = spark.createDataFrame(rows, ALL);
    spark
        .sparkContext()
        .setJobDescription("ingest: decode and resize " + plan.units().size() + " work units");
    IngestProgress progress = IngestProgress.start(spark, processed, tasks, "work units");
    Dataset<Row> images = all.filter(col("status").equalTo("image")).select(recordColumns());
    Dataset<Row> quarantined =
        all.filter(col("status").equalTo("quarantine"))
            .select(col("source"), col("entry"), col("reason"), col("detail"))
            .union(spark.createDataFrame(plannedRows(plan), IngestSchema.QUARANTINE));
    try {
      Row totals =
          images
              .agg(sum(length(col("image.bytes"))), org.apache.spark.sql.functions.count("*"))
              .first();
      long bytes = totals.isNullAt(0) ? 0 : totals.getLong(0);
      long written = totals.getLong(1);
      int shards = (int) Math.max(1, (bytes + options.shardBytes() - 1) / options.shardBytes());

      spark.sparkContext().setJobDescription("ingest: write " + shards + " shards");
      images
          .withColumn("_order", rand(options.seed()))
          .repartition(shards, col("_order"))
          .sortWithinPartitions("_order")
          .drop("_order")
          .write()
          .mode(SaveMode.ErrorIfExists)
          .option("parquet.block.size", ROW_GROUP_BYTES)
          .partitionBy("split")
          .parquet(new Path(staging, "data").toString());

      spark.sparkContext().setJobDescription("ingest: quarantine table");
      quarantined
          .write()
          .mode(SaveMode.ErrorIfExists)
          .parquet(new Path(staging, "_ingest/quarantine").toString());
      Map<String, Long> byReason = new TreeMap<>();
      for (Row r : quarantined.groupBy("reason").count().collectAsList()) {
        byReason.put(r.getString(0), r.getLong(1));
      }
      long quarantinedCount = byReason.values().stream().mapToLong(Long::longValue).sum();
      Map<String, Long> bySplit = new TreeMap<>();
      for (Row r : images.groupBy("split").count().collectAsList()) {
        bySplit.put(r.getString(0), r.getLong(1));
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      IngestSummary summary =
          new IngestSummary(
              written + quarantinedCount,
              written,
              quarantinedCount,
              byReason,
              bySplit,
              plan.wnids().size(),
              shards,
              seconds,
              false);

      writeClasses(fs, new Path(staging, "classes.tsv"), plan.wnids());
      Map<String, Object> labelMap =
          options.mapTo() == null
              ? null
              : LabelMap.write(
                  fs, hadoop, options.mapTo(), plan.wnids(), new Path(staging, "label_map.tsv"));
      Map<String, Object> summaryJson = new LinkedHashMap<>();
      summaryJson.put("inputs", summary.inputs());
      summaryJson.put("written", summary.written());
      summaryJson.put("quarantined", summary.quarantined());
      summaryJson.put("by_reason", byReason);
      summaryJson.put("by_split", bySplit);
      summaryJson.put("classes", summary.classes());
      summaryJson.put("shards", shards);
      summaryJson.put("seconds", seconds);
      write(fs, new Path(staging, "_ingest/summary.json"), json.writeValueAsBytes(summaryJson));
      Map<String, Object> dataset = new LinkedHashMap<>();
      dataset.put("format", options.format().cliName());
      dataset.put("source", options.source());
      dataset.put("label_space", plan.wnids().size() + " sorted wnids, see classes.tsv");
      dataset.put("classes", plan.wnids().size());
      if (labelMap != null) {
        dataset.put("label_map", labelMap);
      }
      dataset.put("images", written);
      dataset.put("splits", bySplit);
      dataset.put("shards", shards);
      dataset.put("options", options);
      dataset.put("schema", IngestSchema.RECORD.simpleString());
      write(fs, new Path(staging, DATASET_MARKER), json.writeValueAsBytes(dataset));
      publish(fs, staging, out);
      return summary;
    } finally {
      progress.stop();
      rows.unpersist(false);
      labelsByWnid.destroy();
      valByWnid.destroy();
      conf.destroy();
    }
  }

  private static final org.apache.spark.sql.types.StructType ALL =
      IngestSchema.RECORD
          .add("status", org.apache.spark.sql.types.DataTypes.StringType, false)
          .add("entry", org.apache.spark.sql.types.DataTypes.StringType, true)
          .add("reason", org.apache.spark.sql.types.DataTypes.StringType, true)
          .add("detail", org.apache.spark.sql.types.DataTypes.StringType, true);

  private static org.apache.spark.sql.Column[] recordColumns() {
    return java.util.Arrays.stream(IngestSchema.RECORD.fieldNames())
        .map(org.apache.spark.sql.functions::col)
        .toArray(org.apache.spark.sql.Column[]::new);
  }

  private static Row toRow(
      IngestRecord record,
      Map<String, Integer> labels,
      String defaultSplit,
      Map<String, java.util.Set<String>> valEntries) {
    if (record instanceof IngestRecord.Image image) {
      Integer label = labels.get(image.wnid());
      java.util.Set<String> val = valEntries.get(image.wnid());
      String entry = image.key().substring(image.wnid().length() + 1);
      String split = val != null && val.contains(entry) ? "val" : defaultSplit;
      if (label == null) {
        return quarantineRow(
            image.source(),
            image.key(),
            "unknown_wnid",
            image.wnid() + " is not in the label space");
      }
      return RowFactory.create(
          image.key(),
          image.wnid(),
          label,
          RowFactory.create(image.jpeg(), image.fileName()),
          image.height(),
          image.width(),
          image.originalHeight(),
          image.originalWidth(),
          image.source(),
          split,
          "image",
          null,
          null,
          null);
    }
    IngestRecord.Quarantined q = (IngestRecord.Quarantined) record;
    return quarantineRow(q.source(), q.entry(), q.reason(), q.detail());
  }

  private static Row quarantineRow(String source, String entry, String reason, String detail) {
    return RowFactory.create(
        entry,
        "",
        -1,
        RowFactory.create(new byte[0], null),
        0,
        0,
        0,
        0,
        source,
        "",
        "quarantine",
        entry,
        reason,
        detail);
  }

  private static List<Row> plannedRows(IngestPlan plan) {
    List<Row> rows = new ArrayList<>();
    for (IngestRecord.Quarantined q : plan.planned()) {
      rows.add(RowFactory.create(q.source(), q.entry(), q.reason(), q.detail()));
    }
    return rows;
  }

  private static void removeStaleStaging(FileSystem fs, Path out) throws IOException {
    if (!fs.exists(out)) {
      return;
    }
    for (FileStatus child : fs.listStatus(out)) {
      if (child.getPath().getName().startsWith(STAGING_PREFIX)) {
        fs.delete(child.getPath(), true);
      }
    }
  }

  /**
   * Moves the staged dataset into {@code out}: previous contents go aside first, the marker {@code
   * _dataset.json} comes last, so a dataset with its marker is always complete.
   */
  private static void publish(FileSystem fs, Path staging, Path out) throws IOException {
    Path trash = new Path(out, ".replaced-" + UUID.randomUUID());
    fs.delete(new Path(out, DATASET_MARKER), false);
    for (FileStatus child : fs.listStatus(out)) {
      String name = child.getPath().getName();
      if (!name.startsWith(".") && !child.getPath().equals(staging)) {
        fs.mkdirs(trash);
        rename(fs, child.getPath(), new Path(trash, name));
      }
    }
    for (FileStatus child : fs.listStatus(staging)) {
      if (!child.getPath().getName().equals(DATASET_MARKER)) {
        rename(fs, child.getPath(), new Path(out, child.getPath().getName()));
      }
    }
    rename(fs, new Path(staging, DATASET_MARKER), new Path(out, DATASET_MARKER));
    fs.delete(staging, true);
    fs.delete(trash, true);
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("could not move " + from + " to " + to);
    }
  }

  private static void writeClasses(FileSystem fs, Path path, List<String> wnids)
      throws IOException {
    StringBuilder tsv = new StringBuilder("index\twnid\n");
    for (int i = 0; i < wnids.size(); i++) {
      tsv.append(i).append('\t').append(wnids.get(i)).append('\n');
    }
    write(fs, path, tsv.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void write(FileSystem fs, Path path, byte[] bytes) throws IOException {
    try (OutputStream o = fs.create(path, false)) {
      o.write(bytes);
    }
  }
}
