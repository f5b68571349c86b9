package org.parameternet.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.data.Durable;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training checkpoints on a Hadoop FileSystem: {@code <out>/checkpoints/step-<n>/} holding {@code
 * model.zip} (parameters and updater state), {@code ema.bin} (when EMA is on), {@code state.json},
 * {@code fingerprint.json} (what a resume must not change) and {@code train.conf}. A checkpoint is
 * written under a temporary name, then {@code _COMPLETE} last (the size and CRC-32C of every file,
 * {@link CheckpointSeal}), fsynced on a local disk, then renamed into place. On HDFS and local
 * disks the rename is atomic; on object stores it is a copy that a crash can leave half done, so
 * only a {@code step-*} holding {@code _COMPLETE} counts, and only while its files match it. The
 * newest {@code keep} complete ones are kept.
 */
public final class Checkpoints {
  public static final String MODEL = "model.zip";
  public static final String EMA = "ema.bin";
  public static final String STATE = "state.json";
  public static final String FINGERPRINT = "fingerprint.json";

  /** Written last: a checkpoint directory without it is not a checkpoint. */
  public static final String COMPLETE = "_COMPLETE";

  private static final String PREFIX = "step-";
  private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FileSystem fs;
  private final Path dir;

  public Checkpoints(FileSystem fs, Path out) {
    this.fs = fs;
    this.dir = new RunLayout(out).checkpoints();
  }

  /**
   * A loaded checkpoint. {@code ema} is null when the run had EMA off; {@code train} is the run's
   * configuration (the {@code train} block of {@code train.conf}).
   */
  public record Loaded(
      ComputationGraph network,
      INDArray ema,
      TrainingState state,
      Config train,
      RunFingerprint fingerprint) {

    /**
     * Which weights to use: {@code auto} (EMA when the run kept one), {@code ema} or {@code raw}.
     */
    public String weights(String asked) {
      if (!asked.equals("auto") && !asked.equals("ema") && !asked.equals("raw")) {
        throw new IllegalArgumentException("weights must be auto, ema or raw, not " + asked);
      }
      String used = asked.equals("auto") ? (ema != null ? "ema" : "raw") : asked;
      if (used.equals("ema") && ema == null) {
        throw new IllegalArgumentException(
            "the checkpoint has no EMA weights (the run had EMA off)");
      }
      return used;
    }

    /** The flat parameter vector of {@code weights} ({@code ema} or {@code raw}). */
    public INDArray parameters(String weights) {
      return weights.equals("ema") ? ema : network.params();
    }

    /** The model as trained: the run's resolution (the model's own when unset) and classes. */
    public ModelSpec spec() {
      int configured = train.getInt("resolution");
      ModelSpec registered = ModelRegistry.get(state.model());
      return registered
          .withResolution(configured > 0 ? configured : registered.resolution())
          .withClasses(state.classes());
    }
  }

  /** Saves a checkpoint; {@code fingerprint} may be null outside a training run (tests). */
  public Path save(
      ComputationGraph network,
      INDArray ema,
      TrainingState state,
      RunFingerprint fingerprint,
      String config,
      int keep)
      throws IOException {
    Path tmp = new Path(dir, ".tmp-" + UUID.randomUUID());
    fs.mkdirs(tmp);
    try (OutputStream out = fs.create(new Path(tmp, MODEL), false)) {
      ModelSerializer.writeModel(network, out, true);
    }
    if (ema != null) {
      try (FSDataOutputStream out = fs.create(new Path(tmp, EMA), false);
          DataOutputStream data = new DataOutputStream(out)) {
        Nd4j.write(ema, data);
      }
    }
    try (OutputStream out = fs.create(new Path(tmp, RunLayout.CONFIG), false)) {
      out.write(config.getBytes(StandardCharsets.UTF_8));
    }
    try (OutputStream out = fs.create(new Path(tmp, STATE), false)) {
      out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
    }
    if (fingerprint != null) {
      try (OutputStream out = fs.create(new Path(tmp, FINGERPRINT), false)) {
        out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(fingerprint));
      }
    }
    CheckpointSeal.write(fs, tmp, state.iteration());
    Durable.syncTree(fs, tmp);
    Path target = new Path(dir, String.format("%s%012d", PREFIX, state.iteration()));
    if (fs.exists(target)) {
      fs.delete(target, true);
    }
    if (!fs.rename(tmp, target)) {
      throw new IOException("could not move checkpoint " + tmp + " to " + target);
    }
    Durable.sync(fs, dir);
    prune(keep);
    return target;
  }

  /** Complete checkpoints, oldest first. */
  public List<Path> list() throws IOException {
    return stepDirectories(true);
  }

  /**
   * {@code step-*} directories without {@link #COMPLETE}, oldest first: a crash during a copying
   * rename, or checkpoints of a pnet that wrote no marker.
   */
  public List<Path> incomplete() throws IOException {
    return stepDirectories(false);
  }

  private List<Path> stepDirectories(boolean complete) throws IOException {
    List<Path> result = new ArrayList<>();
    if (!fs.exists(dir)) {
      return result;
    }
    for (FileStatus s : fs.listStatus(dir)) {
      if (s.isDirectory()
          && s.getPath().getName().startsWith(PREFIX)
          && fs.exists(new Path(s.getPath(), COMPLETE)) == complete) {
        result.add(s.getPath());
      }
    }
    result.sort(null);
    return result;
  }

  /**
   * The newest complete checkpoint whose files match their seal; a damaged newer one (a power loss,
   * a truncated copy) is skipped with a warning naming what is wrong.
   */
  public Path latest() throws IOException {
    List<Path> all = list();
    for (int i = all.size() - 1; i >= 0; i--) {
      Optional<String> damage = CheckpointSeal.damage(fs, all.get(i));
      if (damage.isEmpty()) {
        return all.get(i);
      }
      LOG.warn("skipping damaged checkpoint {}: {}", all.get(i), damage.get());
    }
    return null;
  }

  /** Removes temporaries of crashed writes; called when a run (re)starts. */
  private static final Pattern TEMPORARY =
      Pattern.compile("\\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  public void removeIncomplete() throws IOException {
    if (!fs.exists(dir)) {
      return;
    }
    for (FileStatus s : fs.listStatus(dir)) {
      // only the names save() generates: a user's .tmp-notes in checkpoints/ stays
      if (s.isDirectory() && TEMPORARY.matcher(s.getPath().getName()).matches()) {
        fs.delete(s.getPath(), true);
      }
    }
  }

  /** The fingerprint stored with {@code checkpoint}, or null when it has none. */
  public static RunFingerprint fingerprint(FileSystem fs, Path checkpoint) throws IOException {
    Path file = new Path(checkpoint, FINGERPRINT);
    if (!fs.exists(file)) {
      return null;
    }
    try (InputStream in = fs.open(file)) {
      return JSON.readValue(in, RunFingerprint.class);
    }
  }

  public static Loaded load(FileSystem fs, Path checkpoint, boolean withUpdater)
      throws IOException {
    Path state = new Path(checkpoint, STATE);
    if (!fs.exists(state)) {
      throw new IllegalArgumentException(
          checkpoint + " is not a training checkpoint (no " + STATE + ")");
    }
    if (!fs.exists(new Path(checkpoint, COMPLETE))) {
      throw new IllegalArgumentException(
          checkpoint
              + " is an incomplete checkpoint (no "
              + COMPLETE
              + ": its write was cut short, or a pnet without completion markers wrote it)");
    }
    Optional<String> damage = CheckpointSeal.damage(fs, checkpoint);
    if (damage.isPresent()) {
      throw new IllegalArgumentException(
          checkpoint + " is damaged (" + damage.get() + "); an older checkpoint may be intact");
    }
    TrainingState s;
    try (InputStream in = fs.open(state)) {
      s = JSON.readValue(in, TrainingState.class);
    }
    ComputationGraph net;
    try (InputStream in = fs.open(new Path(checkpoint, MODEL))) {
      net = ModelArchive.read(in, withUpdater, new Path(checkpoint, MODEL).toString());
    }
    INDArray ema = null;
    if (fs.exists(new Path(checkpoint, EMA))) {
      try (DataInputStream in = new DataInputStream(fs.open(new Path(checkpoint, EMA)))) {
        ema = Nd4j.read(in);
      }
    }
    Config train;
    try (InputStream in = fs.open(new Path(checkpoint, RunLayout.CONFIG))) {
      train =
          ConfigFactory.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
              .getConfig(TrainConfig.ROOT);
    }
    return new Loaded(net, ema, s, train, fingerprint(fs, checkpoint));
  }

  /** A checkpoint directory itself, or the latest checkpoint of a training output directory. */
  public static Path resolve(FileSystem fs, Path path) throws IOException {
    if (fs.exists(new Path(path, STATE))) {
      return path;
    }
    Path latest = new Checkpoints(fs, path).latest();
    if (latest == null) {
      throw new IllegalArgumentException(
          path + " is neither a checkpoint nor a training output with checkpoints");
    }
    return latest;
  }

  private void prune(int keep) throws IOException {
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      fs.delete(all.get(i), true);
    }
  }
}
