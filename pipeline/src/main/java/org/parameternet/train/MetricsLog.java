package org.parameternet.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;

/**
 * JSON-lines metrics of a run under {@code <out>/metrics/}: {@code steps} (one line per update,
 * losses averaged over workers), {@code rounds} (timing of each averaging round) and {@code
 * epochs}. Every start of a run writes its own segment file named after the iteration it starts
 * from, so nothing is appended or truncated in place (HDFS and object stores cannot); {@link #read}
 * drops what a crashed segment logged beyond the checkpoint the next one resumed from.
 */
public final class MetricsLog implements Closeable {
  public enum Kind {
    STEPS(Metrics.Step.class),
    ROUNDS(Metrics.Round.class),
    EPOCHS(Metrics.Epoch.class);

    private final Class<? extends Metrics.Line> type;

    Kind(Class<? extends Metrics.Line> type) {
      this.type = type;
    }

    String fileName() {
      return name().toLowerCase();
    }

    static Kind of(Metrics.Line line) {
      for (Kind k : values()) {
        if (k.type.isInstance(line)) {
          return k;
        }
      }
      throw new IllegalArgumentException("not a metrics record: " + line);
    }
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  private static final Pattern SEGMENT =
      Pattern.compile("(steps|rounds|epochs)-s(\\d+)-from(\\d+)\\.jsonl");
  private final Map<Kind, FSDataOutputStream> streams = new EnumMap<>(Kind.class);

  public MetricsLog(FileSystem fs, Path out, int segment, long fromIteration) throws IOException {
    Path dir = new RunLayout(out).metrics();
    fs.mkdirs(dir);
    // Hadoop's local file system buffers a checksummed stream's last few KB even through hflush:
    // a killed driver would lose its last rounds. Its raw file system's hflush reaches the OS.
    FileSystem target = fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    for (Kind kind : Kind.values()) {
      String name =
          String.format("%s-s%03d-from%012d.jsonl", kind.fileName(), segment, fromIteration);
      streams.put(kind, target.create(new Path(dir, name), true));
    }
  }

  /** Writes {@code line} to the file of its kind. */
  public void write(Metrics.Line line) throws IOException {
    write(Kind.of(line), JSON.convertValue(line, new TypeReference<Map<String, Object>>() {}));
  }

  /** Writes a raw record (tests write what an older or cut log held). */
  void write(Kind kind, Map<String, Object> record) throws IOException {
    FSDataOutputStream s = streams.get(kind);
    Map<String, Object> clean = new LinkedHashMap<>(record);
    // JSON has no NaN or Infinity (Jackson would write strings): non-finite numbers become null
    clean.replaceAll((k, v) -> v instanceof Double d && !Double.isFinite(d) ? null : v);
    s.write(JSON.writeValueAsBytes(clean));
    s.write('\n');
  }

  /**
   * Makes what was written durable (called after every round): synced to the disk where the stream
   * can sync (HDFS), at least handed to the OS (and so kept through a killed process) elsewhere.
   */
  public void flush() throws IOException {
    for (FSDataOutputStream s : streams.values()) {
      if (s.hasCapability(StreamCapabilities.HSYNC)) {
        s.hsync();
      } else {
        s.hflush();
      }
    }
  }

  @Override
  public void close() throws IOException {
    for (FSDataOutputStream s : streams.values()) {
      s.close();
    }
  }

  /** The step records of the run at {@code out}, in order ({@link #read}). */
  public static List<Metrics.Step> steps(FileSystem fs, Path out) throws IOException {
    return typed(fs, out, Kind.STEPS, Metrics.Step.class);
  }

  /** The round records of the run at {@code out}, in order ({@link #read}). */
  public static List<Metrics.Round> rounds(FileSystem fs, Path out) throws IOException {
    return typed(fs, out, Kind.ROUNDS, Metrics.Round.class);
  }

  /** The epoch records of the run at {@code out}, in order ({@link #read}). */
  public static List<Metrics.Epoch> epochs(FileSystem fs, Path out) throws IOException {
    return typed(fs, out, Kind.EPOCHS, Metrics.Epoch.class);
  }

  private static <T> List<T> typed(FileSystem fs, Path out, Kind kind, Class<T> type)
      throws IOException {
    List<T> lines = new ArrayList<>();
    for (Map<String, Object> record : read(fs, out, kind)) {
      lines.add(JSON.convertValue(record, type));
    }
    return lines;
  }

  /**
   * The raw records of a run in order, later segments replacing what they re-ran: what the files
   * hold, keyed by their field names.
   */
  public static List<Map<String, Object>> read(FileSystem fs, Path out, Kind kind)
      throws IOException {
    Path dir = new RunLayout(out).metrics();
    List<long[]> segments = new ArrayList<>();
    Map<Long, Path> files = new LinkedHashMap<>();
    if (fs.exists(dir)) {
      for (FileStatus s : fs.listStatus(dir)) {
        Matcher m = SEGMENT.matcher(s.getPath().getName());
        if (m.matches() && m.group(1).equals(kind.fileName())) {
          long segment = Long.parseLong(m.group(2));
          segments.add(new long[] {segment, Long.parseLong(m.group(3))});
          files.put(segment, s.getPath());
        }
      }
    }
    segments.sort((a, b) -> Long.compare(a[0], b[0]));
    List<Map<String, Object>> result = new ArrayList<>();
    for (int i = 0; i < segments.size(); i++) {
      long limit = i + 1 < segments.size() ? segments.get(i + 1)[1] : Long.MAX_VALUE;
      try (BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(
                  fs.open(files.get(segments.get(i)[0])), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.isBlank()) {
            continue;
          }
          Map<String, Object> record;
          try {
            record = JSON.readValue(line, new TypeReference<Map<String, Object>>() {});
          } catch (IOException e) {
            break; // a line cut by a crash ends its segment
          }
          Object iteration = record.get("iteration");
          if (iteration instanceof Number n && n.longValue() > limit) {
            continue;
          }
          result.add(record);
        }
      }
    }
    return result;
  }
}
