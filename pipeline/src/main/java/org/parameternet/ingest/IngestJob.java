package org.parameternet.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.rand;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.OutputLock;
import org.parameternet.data.image.Rejection;
import org.parameternet.data.labels.ClassNames;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.data.shards.DatasetManifest;
import org.parameternet.data.shards.ShardReader;
import org.parameternet.spark.ExecutorPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingest on Spark: plan on the driver (headers and label files only), process each work unit in a
 * task, then write shards of mixed classes, the quarantine table, the class list and the account
 * into a new version directory of the output ({@link DatasetLayout}), and publish it by replacing
 * the manifest ({@link DatasetPublisher}). Readers see the old data set until that step and the new
 * one after it, and a rerun after a crash starts clean.
 */
public final class IngestJob {
  /**
   * Parquet row-group size of the shards. Training reads a row group per minibatch slice, so small
   * groups keep its read amplification low; 16 MB is ~500 images at 256 px.
   */
  public static final long ROW_GROUP_BYTES = 16L << 20;

  /** Held while an ingest writes into its output ({@link OutputLock}). */
  static final String LOCK = ".pnet-ingest.lock";

  private static final Logger LOG = LoggerFactory.getLogger(IngestJob.class);

  private IngestJob() {}

  public static IngestSummary run(SparkSession spark, IngestOptions options) throws IOException {
    return run(spark, options, step -> {});
  }

  /** As {@link #run(SparkSession, IngestOptions)}, telling {@code steps} each publishing step. */
  static IngestSummary run(SparkSession spark, IngestOptions options, DatasetPublisher.Steps steps)
      throws IOException {
    long start = System.nanoTime();
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    Path out = new Path(options.out());
    FileSystem fs = out.getFileSystem(hadoop);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Path source = new Path(options.source());
    ExecutorPaths.requireShared(spark, out, "the ingest output");
    ExecutorPaths.requireShared(spark, source, "the ingest source");
    TaskMemory.check(spark, options.image());
    OutputGuard.check(fs, out, source.getFileSystem(hadoop), source);
    fs.mkdirs(out);
    // One ingest per output at a time: a second one would delete the first one's staging.
    try (OutputLock lock =
        OutputLock.acquire(fs, new Path(out, LOCK), "the ingest output " + out)) {
      DatasetPublisher publisher = new DatasetPublisher(fs, steps);
      publisher.removeLeftovers(out);
      if (DatasetLayout.isDataset(fs, out) && !options.overwrite()) {
        return previousSummary(fs, out, json);
      }
      publisher.checkJournalFree(out);
      return ingestLocked(spark, options, hadoop, fs, out, json, start, publisher);
    }
  }

  /** The summary of the dataset already in {@code out}, which a run without overwrite reuses. */
  private static IngestSummary previousSummary(FileSystem fs, Path out, ObjectMapper json)
      throws IOException {
    try (InputStream in = fs.open(DatasetLayout.read(fs, out).ingestSummary())) {
      return json.readValue(in, IngestSummary.class).asReused();
    }
  }

  /** What the decode pass needs, all read and checked before it starts. */
  private record Inputs(
      NamedClasses names,
      LabelMap.Target mapTo,
      IngestPlan plan,
      Map<String, Set<String>> valEntries) {}

  /** The ingest proper, under the output's lock: check and plan, decode, account, publish. */
  private static IngestSummary ingestLocked(
      SparkSession spark,
      IngestOptions options,
      Configuration hadoop,
      FileSystem fs,
      Path out,
      ObjectMapper json,
      long start,
      DatasetPublisher publisher)
      throws IOException {
    Inputs inputs = checkAndPlan(spark, options, hadoop);
    DatasetLayout staging = DatasetLayout.newVersion(out);
    IngestSummary summary = decodeAndAccount(spark, options, hadoop, fs, staging, inputs, start);
    publisher.publish(staging, writeMetadata(fs, options, staging, inputs, summary, json));
    return summary;
  }

  /** Label files and the plan (headers only), before any image is decoded: a typo fails fast. */
  private static Inputs checkAndPlan(
      SparkSession spark, IngestOptions options, Configuration hadoop) throws IOException {
    FileSystem sourceFs = new Path(options.source()).getFileSystem(hadoop);
    spark.sparkContext().setJobDescription("ingest: plan " + options.source());
    NamedClasses names = classNames(hadoop, options);
    LabelMap.Target mapTo = options.mapTo() == null ? null : LabelMap.read(hadoop, options.mapTo());
    IngestPlan plan = IngestPlanner.plan(sourceFs, options);
    Map<String, Set<String>> valEntries = new HashMap<>();
    if (options.in21kP() != null) {
      spark
          .sparkContext()
          .setJobDescription("ingest: count images per synset (ImageNet-21K-P recipe)");
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      plan = In21kP.apply(jsc, plan, options.in21kP(), new HadoopConf(hadoop), valEntries);
    }
    return new Inputs(names, mapTo, plan, valEntries);
  }

  /**
   * Decodes every work unit in a task whose rows go straight into the seeded shuffle and on to
   * Parquet under {@code staging}; then checks the tasks' reported counts against the shards and
   * writes the quarantine table.
   */
  private static IngestSummary decodeAndAccount(
      SparkSession spark,
      IngestOptions options,
      Configuration hadoop,
      FileSystem fs,
      DatasetLayout staging,
      Inputs inputs,
      long start)
      throws IOException {
    IngestPlan plan = inputs.plan();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Map<String, Integer> labels = new HashMap<>();
    for (int i = 0; i < plan.wnids().size(); i++) {
      labels.put(plan.wnids().get(i), i);
    }
    Broadcast<Map<String, Integer>> labelsByWnid = jsc.broadcast(labels);
    Broadcast<HadoopConf> conf = jsc.broadcast(new HadoopConf(hadoop));
    Broadcast<Map<String, Set<String>>> valByWnid = jsc.broadcast(inputs.valEntries());
    UnitOutcomes outcomes = new UnitOutcomes();
    // Unnamed: Spark copies a named accumulator's whole value into every task's UI record
    spark.sparkContext().register(outcomes);
    int tasks = Math.max(1, plan.units().size());
    JavaRDD<Row> rows =
        decodedRows(jsc, plan, options, tasks, labelsByWnid, conf, valByWnid, outcomes);
    spark
        .sparkContext()
        .setJobDescription(
            "ingest: decode, resize and shuffle "
                + plan.units().size()
                + " work units into shards, write Parquet");
    IngestProgress progress = IngestProgress.start(spark, outcomes, tasks, "work units");
    try {
      writeShards(spark, options, plan, rows, staging.data());
      progress.stop();
      return account(spark, fs, staging, plan, outcomes, tasks, start);
    } finally {
      progress.stop();
      labelsByWnid.destroy();
      valByWnid.destroy();
      conf.destroy();
    }
  }

  /** One unit per partition: the partition index names the unit in the outcome account. */
  private static JavaRDD<Row> decodedRows(
      JavaSparkContext jsc,
      IngestPlan plan,
      IngestOptions options,
      int tasks,
      Broadcast<Map<String, Integer>> labelsByWnid,
      Broadcast<HadoopConf> conf,
      Broadcast<Map<String, Set<String>>> valByWnid,
      UnitOutcomes outcomes) {
    String split = options.format().split();
    return jsc.parallelize(plan.units(), tasks)
        .mapPartitionsWithIndex(
            (index, units) -> {
              UnitProcessor processor = new UnitProcessor(options.image(), conf.value().get());
              List<Row> images = new ArrayList<>();
              Map<String, Long> bySplit = new TreeMap<>();
              List<IngestRecord.Quarantined> quarantined = new ArrayList<>();
              while (units.hasNext()) {
                for (IngestRecord r : processor.process(units.next())) {
                  Row row = imageRow(r, labelsByWnid.value(), split, valByWnid.value());
                  if (row == null) {
                    quarantined.add(quarantine(r));
                  } else {
                    images.add(row);
                    bySplit.merge(row.getString(SPLIT_COLUMN), 1L, Long::sum);
                  }
                }
              }
              outcomes.add(new UnitOutcome(index, bySplit, quarantined));
              return images.iterator();
            },
            false);
  }

  /** The seeded shuffle into shards of mixed classes, sized from the bytes decoded. */
  private static void writeShards(
      SparkSession spark, IngestOptions options, IngestPlan plan, JavaRDD<Row> rows, Path data) {
    long inputBytes = plan.units().stream().mapToLong(WorkUnit::inputBytes).sum();
    withAdaptiveShards(
        spark,
        options.shardBytes(),
        inputBytes,
        () ->
            spark
                .createDataFrame(rows, IngestSchema.RECORD)
                .withColumn("_order", rand(options.seed()))
                .repartition(col("_order"))
                .sortWithinPartitions(col("split"), col("_order"))
                .drop("_order")
                .write()
                .mode(SaveMode.ErrorIfExists)
                .option("parquet.block.size", ROW_GROUP_BYTES)
                // Every image is distinct: hashing them for a dictionary only costs time
                .option("parquet.enable.dictionary#image.bytes", "false")
                .partitionBy("split")
                .parquet(data.toString()));
  }

  /**
   * Every input accounted for: the tasks' reported counts against the shards' rows (a mismatch
   * publishes nothing), the quarantine table from the planned and the tasks' records.
   */
  private static IngestSummary account(
      SparkSession spark,
      FileSystem fs,
      DatasetLayout staging,
      IngestPlan plan,
      UnitOutcomes outcomes,
      int tasks,
      long start)
      throws IOException {
    Map<Integer, UnitOutcome> reported = outcomes.value();
    if (reported.size() != tasks) {
      throw new IllegalStateException(
          "ingest: " + reported.size() + " of " + tasks + " work units reported an outcome");
    }
    List<Row> quarantineRows = plannedRows(plan);
    Map<String, Long> byReason = new TreeMap<>();
    Map<String, Long> bySplit = new TreeMap<>();
    for (UnitOutcome o : new TreeMap<>(reported).values()) {
      o.writtenBySplit().forEach((s, n) -> bySplit.merge(s, n, Long::sum));
      for (IngestRecord.Quarantined q : o.quarantined()) {
        quarantineRows.add(RowFactory.create(q.source(), q.entry(), q.reason(), q.detail()));
      }
    }
    verifyWritten(spark, staging.data(), bySplit);
    long written = bySplit.values().stream().mapToLong(Long::longValue).sum();
    for (Row q : quarantineRows) {
      byReason.merge(q.getString(2), 1L, Long::sum);
    }
    spark.sparkContext().setJobDescription("ingest: quarantine table");
    spark
        .createDataFrame(quarantineRows, IngestSchema.QUARANTINE)
        .coalesce(1)
        .write()
        .mode(SaveMode.ErrorIfExists)
        .parquet(staging.quarantine().toString());
    int shards = 0;
    for (String splitName : bySplit.keySet()) {
      shards += ShardReader.shardFiles(fs, staging, splitName).size();
    }
    return new IngestSummary(
        written + quarantineRows.size(),
        written,
        quarantineRows.size(),
        byReason,
        bySplit,
        plan.wnids().size(),
        shards,
        (System.nanoTime() - start) / 1e9,
        false);
  }

  /** The class list, the label map, the account, and the manifest that {@code staging} gets. */
  private static DatasetManifest writeMetadata(
      FileSystem fs,
      IngestOptions options,
      DatasetLayout staging,
      Inputs inputs,
      IngestSummary summary,
      ObjectMapper json)
      throws IOException {
    IngestPlan plan = inputs.plan();
    NamedClasses names = inputs.names();
    writeClasses(fs, staging.classes(), plan.wnids(), names.byWnid());
    DatasetManifest.LabelMapping labelMap =
        inputs.mapTo() == null
            ? null
            : LabelMap.write(fs, inputs.mapTo(), plan.wnids(), staging.labelMap());
    write(fs, staging.ingestSummary(), json.writeValueAsBytes(summary));
    return new DatasetManifest(
        staging.version().orElseThrow(),
        options.format().cliName(),
        options.source(),
        plan.wnids().size() + " sorted wnids, see " + staging.classes().getName(),
        plan.wnids().size(),
        new DatasetManifest.ClassNamesSource(
            names.source(), plan.wnids().stream().filter(names.byWnid()::containsKey).count()),
        labelMap,
        summary.written(),
        summary.bySplit(),
        summary.shards(),
        json.valueToTree(options),
        IngestSchema.RECORD.simpleString());
  }

  private static final int SPLIT_COLUMN = IngestSchema.RECORD.fieldIndex("split");

  /**
   * Shuffle partitions are sized after the decode stage from what it actually produced (adaptive
   * query execution coalesces them to about {@code shardBytes}), so there is no counting pass over
   * the images first. The initial partition count assumes output no larger than the input, four
   * partitions per expected shard. Shards come out between about a quarter of and 1.25 times {@code
   * shardBytes}, and one shard is smaller when everything is.
   */
  private static void withAdaptiveShards(
      SparkSession spark, long shardBytes, long inputBytes, Runnable write) {
    long expectedShards = Math.max(1, (inputBytes + shardBytes - 1) / shardBytes);
    long initial =
        Math.min(
            MAX_SHUFFLE_PARTITIONS,
            Math.max(spark.sparkContext().defaultParallelism(), 4 * expectedShards));
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("spark.sql.adaptive.enabled", "true");
    settings.put("spark.sql.adaptive.coalescePartitions.enabled", "true");
    // Otherwise AQE favours parallelism and ignores the advisory size
    settings.put("spark.sql.adaptive.coalescePartitions.parallelismFirst", "false");
    settings.put("spark.sql.adaptive.advisoryPartitionSizeInBytes", Long.toString(shardBytes));
    // A remainder below this joins a neighbour (Spark's default, 1 MB, is for 64 MB targets)
    settings.put(
        "spark.sql.adaptive.coalescePartitions.minPartitionSize", Long.toString(shardBytes / 4));
    settings.put(
        "spark.sql.adaptive.coalescePartitions.initialPartitionNum", Long.toString(initial));
    Map<String, scala.Option<String>> previous = new LinkedHashMap<>();
    settings.forEach(
        (key, value) -> {
          previous.put(key, spark.conf().getOption(key));
          spark.conf().set(key, value);
        });
    try {
      write.run();
    } finally {
      previous.forEach(
          (key, value) -> {
            if (value.isDefined()) {
              spark.conf().set(key, value.get());
            } else {
              spark.conf().unset(key);
            }
          });
    }
  }

  private static final long MAX_SHUFFLE_PARTITIONS = 20_000;

  /**
   * The outcome of a unit comes from its first successful attempt; the rows written come from
   * whichever attempt the shuffle used. They differ only when a re-executed task read different
   * data (a transient read error the first time), so the account is checked against the shards' row
   * counts (Parquet footers, no image bytes) before anything is published.
   */
  static void verifyWritten(SparkSession spark, Path data, Map<String, Long> reportedBySplit) {
    Map<String, Long> expected = new TreeMap<>(reportedBySplit);
    expected.values().removeIf(n -> n == 0);
    Map<String, Long> actual = new TreeMap<>();
    if (!expected.isEmpty()) {
      spark.sparkContext().setJobDescription("ingest: check shard row counts");
      for (Row r : spark.read().parquet(data.toString()).groupBy("split").count().collectAsList()) {
        actual.put(r.getString(0), r.getLong(1));
      }
    }
    if (!expected.equals(actual)) {
      throw new IllegalStateException(
          "ingest: the shards hold "
              + actual
              + " images per split but the tasks reported "
              + expected
              + " (a re-executed task read different data); nothing was published, rerun");
    }
  }

  /** The record's dataset row, or null when it is to be quarantined. */
  private static Row imageRow(
      IngestRecord record,
      Map<String, Integer> labels,
      String defaultSplit,
      Map<String, Set<String>> valEntries) {
    if (!(record instanceof IngestRecord.Image image)) {
      return null;
    }
    Integer label = labels.get(image.wnid());
    if (label == null) {
      return null;
    }
    Set<String> val = valEntries.get(image.wnid());
    String entry = image.key().substring(image.wnid().length() + 1);
    String split = val != null && val.contains(entry) ? "val" : defaultSplit;
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
        split);
  }

  /** Why a record that {@link #imageRow} turned away is quarantined. */
  private static IngestRecord.Quarantined quarantine(IngestRecord record) {
    if (record instanceof IngestRecord.Image image) {
      return new IngestRecord.Quarantined(
          image.source(),
          image.key(),
          Rejection.UNKNOWN_WNID.reason(),
          image.wnid() + " is not in the label space");
    }
    return (IngestRecord.Quarantined) record;
  }

  private static List<Row> plannedRows(IngestPlan plan) {
    List<Row> rows = new ArrayList<>();
    for (IngestRecord.Quarantined q : plan.planned()) {
      rows.add(RowFactory.create(q.source(), q.entry(), q.reason(), q.detail()));
    }
    return rows;
  }

  /** Class names by wnid and the file they came from (null: none named or found). */
  private record NamedClasses(String source, Map<String, String> byWnid) {}

  /**
   * The names in {@code --class-names}, which must exist and parse; otherwise those in the first
   * readable {@link org.parameternet.data.labels.ClassNames#BESIDE_SOURCE} file in the source
   * folder or beside the source. A file there that does not parse only happens to share the name:
   * it is logged and skipped.
   */
  private static NamedClasses classNames(Configuration hadoop, IngestOptions options)
      throws IOException {
    if (options.classNames() != null) {
      Path named = new Path(options.classNames());
      if (!named.getFileSystem(hadoop).exists(named)) {
        throw new IllegalArgumentException("ingest.class-names: no file at " + named);
      }
      return new NamedClasses(named.toString(), readClassNames(hadoop, named));
    }
    Path source = new Path(options.source());
    List<Path> folders = new ArrayList<>();
    if (source.getFileSystem(hadoop).getFileStatus(source).isDirectory()) {
      folders.add(source);
    }
    if (source.getParent() != null) {
      folders.add(source.getParent());
    }
    for (Path folder : folders) {
      for (String name : ClassNames.BESIDE_SOURCE) {
        Path candidate = new Path(folder, name);
        if (!candidate.getFileSystem(hadoop).exists(candidate)) {
          continue;
        }
        try {
          return new NamedClasses(candidate.toString(), readClassNames(hadoop, candidate));
        } catch (IOException e) {
          LOG.warn("not reading class names from {}: {}", candidate, e.getMessage());
        }
      }
    }
    return new NamedClasses(null, Map.of());
  }

  private static Map<String, String> readClassNames(Configuration hadoop, Path path)
      throws IOException {
    try (InputStream in = path.getFileSystem(hadoop).open(path)) {
      return ClassNames.read(in, path.toString());
    }
  }

  private static void writeClasses(
      FileSystem fs, Path path, List<String> wnids, Map<String, String> names) throws IOException {
    StringBuilder tsv = new StringBuilder("index\twnid\tname\n");
    for (int i = 0; i < wnids.size(); i++) {
      tsv.append(i)
          .append('\t')
          .append(wnids.get(i))
          .append('\t')
          .append(names.getOrDefault(wnids.get(i), ""))
          .append('\n');
    }
    write(fs, path, tsv.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void write(FileSystem fs, Path path, byte[] bytes) throws IOException {
    try (OutputStream o = fs.create(path, false)) {
      o.write(bytes);
    }
  }
}
