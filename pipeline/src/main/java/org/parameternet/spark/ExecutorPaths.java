package org.parameternet.spark;

import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Refuses, before any work, an output that Spark's executors would write to their own local disks.
 * With a cluster master a {@code file://} path names a different disk on every node: ingest's
 * shards and the results table's rows would land wherever each task ran, and the driver would find
 * them missing at the end, or never. Allowed with a local master, and on a cluster when {@link
 * #SHARED_LOCAL_PATHS} says every node's local path is the same shared file system (an NFS mount,
 * or a cluster on one machine).
 */
public final class ExecutorPaths {
  /** Set to true when {@code file://} paths are one shared file system on every node. */
  public static final String SHARED_LOCAL_PATHS = "spark.pnet.sharedLocalPaths";

  private ExecutorPaths() {}

  /**
   * @param what names the path for the message, e.g. {@code the ingest output} or {@code
   *     evaluate.results}
   */
  public static void requireShared(SparkSession spark, Path path, String what) throws IOException {
    String master = spark.sparkContext().master();
    boolean local = master.startsWith("local");
    boolean declaredShared = spark.sparkContext().getConf().getBoolean(SHARED_LOCAL_PATHS, false);
    String scheme =
        path.getFileSystem(spark.sparkContext().hadoopConfiguration()).getUri().getScheme();
    if (!local && !declaredShared && "file".equals(scheme)) {
      throw new IllegalArgumentException(
          what
              + " "
              + path
              + " is on the local file system, and the master ("
              + master
              + ") runs tasks on other machines: each would write to its own disk. Use a shared"
              + " file system (hdfs://, s3a://), or, if this path is one shared mount on every node"
              + " (NFS) or the cluster is one machine, pass --conf "
              + SHARED_LOCAL_PATHS
              + "=true. Nothing was written.");
    }
  }
}
