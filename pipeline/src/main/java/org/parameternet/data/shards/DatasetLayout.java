package org.parameternet.data.shards;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where an ingested data set keeps its files: the one class that spells their names.
 *
 * <pre>
 * root/_dataset.json                       the manifest ({@link DatasetManifest}); names the version
 * root/v-UUID/data/split=S/part-*.parquet  the shards of split S
 * root/v-UUID/classes.tsv                  label, wnid, name
 * root/v-UUID/label_map.tsv                labels mapped onto another data set's (map-to)
 * root/v-UUID/_ingest/summary.json         the account; _ingest/quarantine/ the rejected inputs
 * </pre>
 *
 * <p>A replacement writes a new version directory beside the old one, then replaces the manifest in
 * one step ({@link org.parameternet.data.AtomicFile}), so a reader that resolves the root finds the
 * old data set or the new one and never a mix. Data sets written before versions existed keep these
 * files at the root; their manifest names no version.
 */
public final class DatasetLayout {
  public static final String MANIFEST = "_dataset.json";
  private static final String DATA = "data";
  public static final String CLASSES = "classes.tsv";
  public static final String LABEL_MAP = "label_map.tsv";
  private static final String INGEST = "_ingest";

  /** What a data set of the layout before versions may hold at its root besides the manifest. */
  public static final Set<String> UNVERSIONED_ENTRIES = Set.of(DATA, INGEST, CLASSES, LABEL_MAP);

  /**
   * The root entries a data set from before versions has: the shards, the account and the class
   * list, and the label map only when its manifest records one.
   */
  public static Set<String> unversionedEntries(boolean hasLabelMap) {
    return hasLabelMap ? UNVERSIONED_ENTRIES : Set.of(DATA, INGEST, CLASSES);
  }

  private static final Pattern VERSION =
      Pattern.compile("v-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private final Path root;
  private final String version;

  private DatasetLayout(Path root, String version) {
    this.root = root;
    this.version = version;
  }

  /**
   * The data set at {@code root} as its manifest describes it.
   *
   * @throws IllegalArgumentException when {@code root} holds no manifest, or one naming a version
   *     directory that is not there
   */
  public static DatasetLayout read(FileSystem fs, Path root) throws IOException {
    DatasetManifest manifest = DatasetManifest.read(fs, manifestOf(root));
    DatasetLayout layout = new DatasetLayout(root, manifest.version());
    if (manifest.version() != null && !fs.exists(layout.content())) {
      throw new IllegalArgumentException(
          manifestOf(root) + " names the version " + manifest.version() + ", which is not there");
    }
    return layout;
  }

  /** {@code root} holds a manifest: it is an ingested data set (complete, since it comes last). */
  public static boolean isDataset(FileSystem fs, Path root) throws IOException {
    return fs.exists(manifestOf(root));
  }

  /** A new version under {@code root}, named by no manifest yet: where an ingest writes. */
  public static DatasetLayout newVersion(Path root) {
    return new DatasetLayout(root, "v-" + UUID.randomUUID());
  }

  /** {@code name} is a version directory's name as {@link #newVersion} gives it. */
  public static boolean isVersionName(String name) {
    return VERSION.matcher(name).matches();
  }

  public static Path manifestOf(Path root) {
    return new Path(root, MANIFEST);
  }

  public Path root() {
    return root;
  }

  public Path manifest() {
    return manifestOf(root);
  }

  /** The version directory's name; empty for a data set written before versions. */
  public Optional<String> version() {
    return Optional.ofNullable(version);
  }

  /** The directory holding the data set's files: its version, or the root before versions. */
  public Path content() {
    return version == null ? root : new Path(root, version);
  }

  /** The shards, one {@code split=S} directory per split (Spark's partition layout). */
  public Path data() {
    return new Path(content(), DATA);
  }

  public Path split(String split) {
    return new Path(data(), "split=" + split);
  }

  public Path classes() {
    return new Path(content(), CLASSES);
  }

  public Path labelMap() {
    return new Path(content(), LABEL_MAP);
  }

  public Path ingestSummary() {
    return new Path(new Path(content(), INGEST), "summary.json");
  }

  public Path quarantine() {
    return new Path(new Path(content(), INGEST), "quarantine");
  }

  @Override
  public String toString() {
    return content().toString();
  }
}
