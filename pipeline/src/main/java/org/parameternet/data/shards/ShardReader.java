package org.parameternet.data.shards;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;

/**
 * Reads training rows (image bytes and label) from ingest's Parquet shards, one row group at a
 * time, without Spark: it runs inside training tasks on the executors. The last few row groups read
 * are kept, because consecutive minibatch slices of one worker come from the same group.
 */
public final class ShardReader {
  /** Row groups kept per JVM: enough for every task slot of an executor to keep its own. */
  private static final int CACHED_GROUPS = 8;

  private static final Map<RowGroup, List<LabeledImage>> CACHE =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<RowGroup, List<LabeledImage>> e) {
          return size() > CACHED_GROUPS;
        }
      };

  private ShardReader() {}

  /** The Parquet files of one split of an ingested data set, in name order. */
  public static List<Path> shardFiles(FileSystem fs, DatasetLayout dataset, String split)
      throws IOException {
    Path dir = dataset.split(split);
    if (!fs.exists(dir)) {
      throw new IllegalArgumentException(
          "no '"
              + split
              + "' split in "
              + dataset.root()
              + " (expected the directory "
              + dir
              + ")");
    }
    List<Path> files = new ArrayList<>();
    for (FileStatus s : fs.listStatus(dir)) {
      if (s.isFile() && s.getPath().getName().endsWith(".parquet")) {
        files.add(s.getPath());
      }
    }
    files.sort(null);
    return files;
  }

  /** The row groups of one shard, from its footer. */
  public static List<RowGroup> rowGroups(Configuration conf, Path file) throws IOException {
    List<RowGroup> groups = new ArrayList<>();
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      List<BlockMetaData> blocks = reader.getRowGroups();
      for (int i = 0; i < blocks.size(); i++) {
        if (blocks.get(i).getRowCount() > 0) {
          groups.add(new RowGroup(file.toUri().toString(), i, blocks.get(i).getRowCount()));
        }
      }
    }
    return groups;
  }

  /** The rows of a slice, in the slice's permuted order. */
  public static List<LabeledImage> read(Configuration conf, ShardSlice slice) {
    List<LabeledImage> rows = rowGroupRows(conf, slice.group());
    int[] order = permutation(rows.size(), slice.permutationSeed());
    List<LabeledImage> out = new ArrayList<>(slice.size());
    for (int i = slice.from(); i < slice.to(); i++) {
      out.add(rows.get(order[i]));
    }
    return out;
  }

  /**
   * All rows of a row group in stored order, bypassing the cache: evaluation reads each group once,
   * and caching it would only push out the training slices' groups.
   */
  public static List<LabeledImage> readAll(Configuration conf, RowGroup group) {
    return readRowGroup(conf, group);
  }

  /** A seeded Fisher-Yates permutation of {@code 0..n-1}. */
  public static int[] permutation(int n, long seed) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  private static List<LabeledImage> rowGroupRows(Configuration conf, RowGroup group) {
    synchronized (CACHE) {
      List<LabeledImage> cached = CACHE.get(group);
      if (cached != null) {
        return cached;
      }
    }
    List<LabeledImage> rows = readRowGroup(conf, group);
    synchronized (CACHE) {
      CACHE.put(group, rows);
    }
    return rows;
  }

  private static List<LabeledImage> readRowGroup(Configuration conf, RowGroup group) {
    Path file = new Path(URI.create(group.file()));
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      GroupType image = schema.getType("image").asGroupType();
      MessageType projection =
          new MessageType(
              schema.getName(),
              schema.getType("label"),
              new GroupType(image.getRepetition(), image.getName(), image.getType("bytes")));
      reader.setRequestedSchema(projection);
      PageReadStore pages = reader.readRowGroup(group.index());
      if (pages == null || pages.getRowCount() != group.rows()) {
        throw new IOException(
            "row group "
                + group.index()
                + " of "
                + file
                + " does not hold "
                + group.rows()
                + " rows");
      }
      RecordReader<Group> records =
          new ColumnIOFactory()
              .getColumnIO(projection)
              .getRecordReader(pages, new GroupRecordConverter(projection));
      List<LabeledImage> rows = new ArrayList<>((int) group.rows());
      for (long i = 0; i < group.rows(); i++) {
        Group row = records.read();
        rows.add(
            new LabeledImage(
                row.getGroup("image", 0).getBinary("bytes", 0).getBytes(),
                row.getInteger("label", 0)));
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read row group " + group.index() + " of " + file, e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot read row group " + group.index() + " of " + file + ": " + e.getMessage(), e);
    }
  }
}
