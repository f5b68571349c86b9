package org.parameternet.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A checkpoint's {@code _COMPLETE} marker, written last: the step, and the size and CRC-32C of
 * every file beside it. A checkpoint whose files no longer match (a power loss after the rename, a
 * truncated copy, a flipped bit) is damaged: resume skips it with a warning and loading refuses it
 * by name. Markers of an earlier pnet hold only {@code step <n>}; they are trusted as written.
 */
final class CheckpointSeal {
  static final String NAME = Checkpoints.COMPLETE;
  private static final ObjectMapper JSON = new ObjectMapper();

  private CheckpointSeal() {}

  /** Seals {@code dir}: the marker lists every file in it with its size and checksum. */
  static void write(FileSystem fs, Path dir, long step) throws IOException {
    ObjectNode files = JSON.createObjectNode();
    for (FileStatus f : fs.listStatus(dir)) {
      // A local file system's listing leaves out Hadoop's own .crc files: only pnet's files
      if (f.isFile() && !f.getPath().getName().equals(NAME)) {
        files
            .putObject(f.getPath().getName())
            .put("bytes", f.getLen())
            .put("crc32c", crc32c(fs, f.getPath()));
      }
    }
    ObjectNode seal = JSON.createObjectNode().put("step", step);
    seal.set("files", files);
    try (OutputStream out = fs.create(new Path(dir, NAME), false)) {
      out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(seal));
    }
  }

  /** What is wrong with sealed {@code dir}'s files, or empty when they match their marker. */
  static Optional<String> damage(FileSystem fs, Path dir) throws IOException {
    JsonNode files = recorded(fs, dir);
    if (files == null) {
      return Optional.empty(); // an earlier pnet's marker: nothing recorded to check
    }
    Iterator<Map.Entry<String, JsonNode>> it = files.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      Path file = new Path(dir, e.getKey());
      if (!fs.exists(file)) {
        return Optional.of(file + " is missing");
      }
      long bytes = fs.getFileStatus(file).getLen();
      if (bytes != e.getValue().get("bytes").asLong()) {
        return Optional.of(
            file + " has " + bytes + " bytes, " + e.getValue().get("bytes").asLong() + " written");
      }
      String crc;
      try {
        crc = crc32c(fs, file);
      } catch (IOException unreadable) { // e.g. Hadoop's own local checksum failing
        return Optional.of(file + " cannot be read back: " + unreadable.getMessage());
      }
      if (!crc.equals(e.getValue().get("crc32c").asText())) {
        return Optional.of(file + " does not match the checksum written with it");
      }
    }
    return Optional.empty();
  }

  /** The marker's file table, or null for a marker without one. */
  private static JsonNode recorded(FileSystem fs, Path dir) throws IOException {
    byte[] text;
    try (InputStream in = fs.open(new Path(dir, NAME))) {
      text = in.readAllBytes();
    }
    if (text.length == 0 || text[0] != '{') {
      return null;
    }
    JsonNode files = JSON.readTree(text).get("files");
    return files != null && files.isObject() ? files : null;
  }

  private static String crc32c(FileSystem fs, Path file) throws IOException {
    CRC32C crc = new CRC32C();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = fs.open(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        crc.update(buffer, 0, n);
      }
    }
    return String.format("%08x", crc.getValue());
  }
}
