package org.parameternet.ingest;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Column layout of the shards (documented in docs/commands/ingest.md) and of the quarantine table.
 */
public final class IngestSchema {
  private IngestSchema() {}

  /** Hugging Face datasets' image layout: struct of encoded bytes and a file name. */
  public static final StructType IMAGE =
      DataTypes.createStructType(
          new StructField[] {
            DataTypes.createStructField("bytes", DataTypes.BinaryType, false),
            DataTypes.createStructField("path", DataTypes.StringType, true)
          });

  public static final StructType RECORD =
      DataTypes.createStructType(
          new StructField[] {
            DataTypes.createStructField("key", DataTypes.StringType, false),
            DataTypes.createStructField("wnid", DataTypes.StringType, false),
            DataTypes.createStructField("label", DataTypes.IntegerType, false),
            DataTypes.createStructField("image", IMAGE, false),
            DataTypes.createStructField("height", DataTypes.IntegerType, false),
            DataTypes.createStructField("width", DataTypes.IntegerType, false),
            DataTypes.createStructField("orig_height", DataTypes.IntegerType, false),
            DataTypes.createStructField("orig_width", DataTypes.IntegerType, false),
            DataTypes.createStructField("source", DataTypes.StringType, false),
            DataTypes.createStructField("split", DataTypes.StringType, false)
          });

  public static final StructType QUARANTINE =
      DataTypes.createStructType(
          new StructField[] {
            DataTypes.createStructField("source", DataTypes.StringType, false),
            DataTypes.createStructField("entry", DataTypes.StringType, false),
            DataTypes.createStructField("reason", DataTypes.StringType, false),
            DataTypes.createStructField("detail", DataTypes.StringType, false)
          });
}
