package org.parameternet.testing;

import org.apache.spark.sql.SparkSession;
import org.parameternet.spark.SparkDefaults;

/** The Spark session tests run on: local mode with two worker threads, bound to 127.0.0.1. */
public final class LocalSpark {
  private LocalSpark() {}

  public static SparkSession start(String appName) {
    return start(appName, "local[2]");
  }

  /** As {@link #start(String)} with another local master, such as {@code local[3]}. */
  public static SparkSession start(String appName, String master) {
    SparkSession.Builder builder = SparkSession.builder();
    SparkDefaults.localMode().forEach(builder::config);
    return builder
        .master(master)
        .appName(appName)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate();
  }
}
