package org.parameternet.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.OutputFolder;

/**
 * Where a training run ({@code train.out}) keeps its files: the one class that spells their names.
 *
 * <pre>
 * out/train.conf          the run's configuration as resolved
 * out/init.json           finetuning: what the run started from ({@link Init})
 * out/.pnet-run          created first: marks the folder as a pnet run's own
 * out/.pnet-train.lock    held while a run trains here
 * out/metrics/            step, round and epoch records ({@link MetricsLog})
 * out/checkpoints/step-N/ the checkpoints ({@link Checkpoints}, which owns their contents)
 * </pre>
 */
public final class RunLayout {
  /**
   * The run's configuration as resolved; each checkpoint keeps a copy under the same name ({@link
   * Checkpoints}).
   */
  public static final String CONFIG = "train.conf";

  private static final String INIT = "init.json";
  private static final String LOCK = ".pnet-train.lock";
  private static final String MARKER = ".pnet-run";
  private static final String METRICS = "metrics";
  private static final String CHECKPOINTS = "checkpoints";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path out;

  public RunLayout(Path out) {
    this.out = out;
  }

  /** The run a checkpoint directory ({@code out/checkpoints/step-N}) belongs to. */
  public static RunLayout ofCheckpoint(Path checkpoint) {
    return new RunLayout(checkpoint.getParent().getParent());
  }

  public Path out() {
    return out;
  }

  public Path config() {
    return new Path(out, CONFIG);
  }

  public Path init() {
    return new Path(out, INIT);
  }

  public Path lock() {
    return new Path(out, LOCK);
  }

  /** Created before anything else a run writes: the folder is a pnet run's own from then on. */
  public Path marker() {
    return new Path(out, MARKER);
  }

  /**
   * Makes {@code out} a run's folder: it must be absent, empty or a pnet run's already (its marker,
   * or checkpoints and metrics an earlier pnet wrote before the marker existed). A run writes
   * {@code train.conf} and {@code init.json} there and cleans its own temporaries, so a folder
   * holding anything else is refused before a byte is written, naming what is there.
   */
  public void claim(FileSystem fs) throws IOException {
    OutputFolder.claim(
        fs, out, MARKER, "train.out", "a pnet training run", (f, p) -> isEarlierRun(f));
  }

  /** A run of a pnet from before the marker: a metrics step log or a complete checkpoint. */
  private boolean isEarlierRun(FileSystem fs) throws IOException {
    if (fs.exists(metrics())) {
      for (FileStatus f : fs.listStatus(metrics())) {
        if (f.getPath().getName().matches("steps-s\\d+-from\\d+\\.jsonl")) {
          return true;
        }
      }
    }
    if (fs.exists(checkpoints())) {
      for (FileStatus f : fs.listStatus(checkpoints())) {
        if (f.isDirectory() && fs.exists(new Path(f.getPath(), Checkpoints.COMPLETE))) {
          return true;
        }
      }
    }
    return false;
  }

  public Path metrics() {
    return new Path(out, METRICS);
  }

  public Path checkpoints() {
    return new Path(out, CHECKPOINTS);
  }

  /**
   * {@code init.json}: the checkpoint a finetuning run started from and what was carried over.
   *
   * @param pretrainData the data set the checkpoint was trained on
   * @param emaWeights the start was the checkpoint's EMA weights
   */
  public record Init(
      String checkpoint,
      @JsonProperty("pretrain_data") String pretrainData,
      @JsonProperty("ema_weights") boolean emaWeights,
      @JsonProperty("layers_copied") int layersCopied,
      int classes,
      @JsonProperty("classifier_rows_carried") int classifierRowsCarried,
      @JsonProperty("classifier_rows_fresh") int classifierRowsFresh,
      @JsonProperty("layer_decay") double layerDecay) {}

  public void writeInit(FileSystem fs, Init init) throws IOException {
    fs.mkdirs(out);
    try (OutputStream stream = fs.create(init(), true)) {
      stream.write(JSON.writeValueAsBytes(init));
    }
  }

  /** The run's {@code init.json}; empty for a run that did not start from a checkpoint. */
  public Optional<Init> readInit(FileSystem fs) throws IOException {
    if (!fs.exists(init())) {
      return Optional.empty();
    }
    try (InputStream in = fs.open(init())) {
      return Optional.of(JSON.readValue(in, Init.class));
    }
  }
}
