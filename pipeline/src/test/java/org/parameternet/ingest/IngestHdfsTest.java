package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import org.parameternet.spark.SparkDefaults;

/** Ingest reading from and writing to a real HDFS (NameNode and DataNode on 127.0.0.1). */
class IngestHdfsTest {
  @TempDir static File base;
  static MiniDFSCluster hdfs;
  static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    hdfs.waitActive();
    SparkSession.Builder builder = SparkSession.builder();
    SparkDefaults.localMode().forEach(builder::config);
    spark =
        builder
            .master("local[2]")
            .appName("ingest-hdfs-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.hadoop.dfs.replication", "1")
            .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  /**
   * Ingest from and to HDFS, then the data set replaced there: the manifest is renamed over the old
   * one (HDFS's atomic overwrite), the new version is read, the old version directory is gone.
   */
  @Test
  void ingestsFromAndToHdfs() throws IOException {
    FileSystem fs = hdfs.getFileSystem();
    String root = fs.getUri() + "/imagenet";
    SynthWriter.write(
        fs,
        new Path(root),
        SynthSpec.builder()
            .classes22k(6)
            .classes1k(3)
            .perClass22k(2, 4)
            .perClass1k(3, 2)
            .size(48)
            .seed(5)
            .badInputs(true)
            .build());
    String out = fs.getUri() + "/datasets/in22k";
    IngestSummary s =
        IngestJob.run(
            spark,
            IngestJobTest.options(
                IngestFormat.IN22K, root + "/in22k/fall11_whole.tar", out, false));
    assertEquals(5, s.quarantined());
    assertEquals(s.inputs(), s.written() + s.quarantined());
    assertTrue(DatasetLayout.isDataset(fs, new Path(out)));
    assertEquals(
        s.written(),
        spark.read().parquet(DatasetLayout.read(fs, new Path(out)).data().toString()).count());

    String before = DatasetLayout.read(fs, new Path(out)).version().orElseThrow();
    IngestSummary replaced =
        IngestJob.run(
            spark,
            IngestJobTest.options(IngestFormat.IN22K, root + "/in22k/fall11_whole.tar", out, true));
    assertFalse(replaced.reused());
    DatasetLayout after = DatasetLayout.read(fs, new Path(out));
    assertNotEquals(before, after.version().orElseThrow());
    assertFalse(fs.exists(new Path(out, before)), "the old version is deleted");
    assertEquals(replaced.written(), spark.read().parquet(after.data().toString()).count());
    List<String> names = new ArrayList<>();
    for (FileStatus child : fs.listStatus(new Path(out))) {
      names.add(child.getPath().getName());
    }
    assertEquals(Set.of(DatasetLayout.MANIFEST, after.version().get()), Set.copyOf(names));
  }
}
