package org.parameternet.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.parameternet.data.AtomicFile;
import org.parameternet.data.OutputFolder;
import org.parameternet.data.OutputLock;
import org.parameternet.spark.ExecutorPaths;

/**
 * The results table: {@code <dir>/rows/} (Parquet, appended, one row per evaluation, never
 * rewritten) and {@code <dir>/results.csv} (the whole table, regenerated after each append).
 */
public final class ResultsTable {
  /** Created with the table: the folder is a pnet results table's from then on. */
  private static final String MARKER = ".pnet-results";

  private static final String LOCK = ".pnet-results.lock";

  public static final StructType SCHEMA =
      new StructType()
          .add("model", DataTypes.StringType, false)
          .add("experts", DataTypes.IntegerType, false)
          .add("pretrain_data", DataTypes.StringType, false)
          .add("finetune_data", DataTypes.StringType, false)
          .add("resolution", DataTypes.IntegerType, false)
          .add("params", DataTypes.LongType, false)
          .add("flops", DataTypes.LongType, false)
          .add("top1", DataTypes.DoubleType, false)
          .add("top5", DataTypes.DoubleType, false)
          .add("latency_ms", DataTypes.DoubleType, false)
          .add("onnx_latency_ms", DataTypes.DoubleType, true)
          .add("images_per_s", DataTypes.DoubleType, false)
          .add("eval_images", DataTypes.LongType, false)
          .add("weights", DataTypes.StringType, false)
          .add("checkpoint", DataTypes.StringType, false)
          .add("date", DataTypes.StringType, false)
          .add("git_commit", DataTypes.StringType, false)
          // Last, so tables written before it read it as null (= params).
          .add("inference_params", DataTypes.LongType, true);

  private ResultsTable() {}

  /**
   * Appends one evaluation's row and rewrites {@code results.csv}, holding the table's lock so two
   * evaluations into one table cannot interleave. The folder must be absent, empty or a results
   * table already (its marker, or the {@code rows/} an earlier pnet wrote); a folder holding
   * anything else, a user's own {@code results.csv} say, is refused before a byte is written.
   */
  public static void append(SparkSession spark, String dir, ResultRow r) throws IOException {
    Path root = new Path(dir);
    ExecutorPaths.requireShared(spark, root, "the results table");
    FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
    OutputFolder.claim(
        fs,
        root,
        MARKER,
        "evaluate.results",
        "a pnet results table",
        (f, p) -> f.exists(new Path(p, "rows")));
    try (OutputLock lock = OutputLock.acquire(fs, new Path(root, LOCK), "results table " + dir)) {
      appendLocked(spark, dir, r);
    }
  }

  private static void appendLocked(SparkSession spark, String dir, ResultRow r) throws IOException {
    Row row =
        RowFactory.create(
            r.model(),
            r.experts(),
            r.pretrainData(),
            r.finetuneData(),
            r.resolution(),
            r.params(),
            r.flops(),
            r.top1(),
            r.top5(),
            r.latencyMs(),
            r.onnxLatencyMs(),
            r.imagesPerSecond(),
            r.evalImages(),
            r.weights(),
            r.checkpoint(),
            r.date(),
            r.gitCommit(),
            r.inferenceParams());
    spark
        .createDataFrame(List.of(row), SCHEMA)
        .coalesce(1)
        .write()
        .mode(SaveMode.Append)
        .parquet(new Path(dir, "rows").toString());
    writeCsv(spark, dir, read(spark, dir));
  }

  public static List<ResultRow> read(SparkSession spark, String dir) {
    Path rows = new Path(dir, "rows");
    Dataset<Row> table = spark.read().schema(SCHEMA).parquet(rows.toString()).orderBy("date");
    List<ResultRow> out = new ArrayList<>();
    for (Row x : table.collectAsList()) {
      out.add(
          new ResultRow(
              x.getString(0),
              x.getInt(1),
              x.getString(2),
              x.getString(3),
              x.getInt(4),
              x.getLong(5),
              x.isNullAt(17) ? x.getLong(5) : x.getLong(17),
              x.getLong(6),
              x.getDouble(7),
              x.getDouble(8),
              x.getDouble(9),
              x.isNullAt(10) ? Double.NaN : x.getDouble(10), // tables from before the column
              x.getDouble(11),
              x.getLong(12),
              x.getString(13),
              x.getString(14),
              x.getString(15),
              x.getString(16)));
    }
    return out;
  }

  private static void writeCsv(SparkSession spark, String dir, List<ResultRow> rows)
      throws IOException {
    StringBuilder csv = new StringBuilder(String.join(",", SCHEMA.fieldNames())).append('\n');
    for (ResultRow r : rows) {
      csv.append(
          String.join(
              ",",
              Csv.field(r.model()),
              Integer.toString(r.experts()),
              Csv.field(r.pretrainData()),
              Csv.field(r.finetuneData()),
              Integer.toString(r.resolution()),
              Long.toString(r.params()),
              Long.toString(r.flops()),
              Csv.number(r.top1()),
              Csv.number(r.top5()),
              Csv.number(r.latencyMs()),
              Csv.number(r.onnxLatencyMs()),
              Csv.number(r.imagesPerSecond()),
              Long.toString(r.evalImages()),
              Csv.field(r.weights()),
              Csv.field(r.checkpoint()),
              Csv.field(r.date()),
              Csv.field(r.gitCommit()),
              Long.toString(r.inferenceParams())));
      csv.append('\n');
    }
    Path path = new Path(dir, "results.csv");
    FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
    AtomicFile.replace(fs, path, csv.toString().getBytes(StandardCharsets.UTF_8));
  }
}
