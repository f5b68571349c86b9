package org.parameternet.data.shards;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.AtomicFile;

/**
 * {@code _dataset.json}: what an ingest wrote and where ({@link DatasetLayout}). Written last, so
 * its presence means the data set is complete.
 *
 * @param version the version directory holding the files; null before versions existed
 * @param labelMap what the label map onto another data set records (its target, mapped and missing
 *     counts); null without one
 * @param options the ingest options used, as written
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatasetManifest(
    String version,
    String format,
    String source,
    @JsonProperty("label_space") String labelSpace,
    Integer classes,
    @JsonProperty("class_names") ClassNamesSource classNames,
    @JsonProperty("label_map") LabelMapping labelMap,
    long images,
    Map<String, Long> splits,
    int shards,
    JsonNode options,
    String schema) {

  /** Where the class names came from, and how many classes they named. */
  public record ClassNamesSource(String source, long named) {}

  /**
   * The label map onto another data set's label space.
   *
   * @param target the class list mapped onto
   * @param mapped how many of this data set's wnids the target has
   * @param missing the wnids it lacks (their rows map to -1)
   */
  public record LabelMapping(String target, long mapped, List<String> missing) {}

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          // a manifest a newer pnet wrote still reads
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Reads a manifest.
   *
   * @throws IllegalArgumentException naming the file when it is missing or not a manifest
   */
  public static DatasetManifest read(FileSystem fs, Path file) throws IOException {
    if (!fs.exists(file)) {
      throw new IllegalArgumentException(
          file.getParent() + " is not an ingested data set (no " + file.getName() + ")");
    }
    DatasetManifest manifest;
    try (InputStream in = fs.open(file)) {
      manifest = JSON.readValue(in, DatasetManifest.class);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(file + " is not a data set manifest: " + e.getMessage());
    }
    if (manifest.classes() == null) {
      throw new IllegalArgumentException(file + " has no 'classes' entry");
    }
    if (manifest.version() != null && !DatasetLayout.isVersionName(manifest.version())) {
      throw new IllegalArgumentException(
          file + ": 'version' is " + manifest.version() + ", not a version directory's name");
    }
    return manifest;
  }

  /** Replaces the manifest at {@code file} in one step ({@link AtomicFile}). */
  public void replace(FileSystem fs, Path file) throws IOException {
    AtomicFile.replace(fs, file, JSON.writeValueAsBytes(this));
  }
}
