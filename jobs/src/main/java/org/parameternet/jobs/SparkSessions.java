package org.parameternet.jobs;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.parameternet.spark.SparkDefaults;

/**
 * The session for a job: whatever spark-submit configured, or local mode on all cores when no
 * master is set (bin/pnet), so the same jar and commands run on a laptop and on a cluster.
 */
final class SparkSessions {
  private SparkSessions() {}

  static SparkSession create(String appName) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    boolean local = !conf.contains("spark.master") || conf.get("spark.master").startsWith("local");
    SparkDefaults.missingFrom(conf, local ? SparkDefaults.localMode() : SparkDefaults.anyMaster())
        .forEach(builder::config);
    if (!conf.contains("spark.master")) {
      builder.master("local[*]").config("spark.driver.host", "127.0.0.1");
    }
    return builder.getOrCreate();
  }

  /** Local mode on {@code cores} cores whatever spark-submit set: for benchmarks per core. */
  static SparkSession local(String appName, int cores) {
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    SparkDefaults.localMode().forEach(builder::config);
    return builder
        .master("local[" + cores + "]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .getOrCreate();
  }
}
