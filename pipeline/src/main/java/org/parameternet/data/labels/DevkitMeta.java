package org.parameternet.data.labels;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Sinks;
import us.hebi.matlab.mat.types.Sources;
import us.hebi.matlab.mat.types.Struct;

/**
 * The ILSVRC2012 devkit's {@code meta.mat}: a struct array {@code synsets} whose entries with
 * {@code num_children == 0} are the 1000 classes, numbered by {@code ILSVRC2012_ID} (the devkit's
 * order, not the sorted-wnid order that labels use).
 */
public final class DevkitMeta {
  private DevkitMeta() {}

  /** One devkit synset. */
  public record Synset(int id, String wnid, String words) {}

  /** ILSVRC2012_ID -> wnid of the leaf classes. */
  public static Map<Integer, String> wnidById(InputStream in, String name) throws IOException {
    Struct synsets = synsets(in, name);
    Map<Integer, String> byId = new LinkedHashMap<>();
    int n = synsets.getNumElements();
    for (int i = 0; i < n; i++) {
      int children = synsets.getMatrix("num_children", i).getInt(0);
      if (children == 0) {
        byId.put(
            synsets.getMatrix("ILSVRC2012_ID", i).getInt(0),
            synsets.getChar("WNID", i).getString());
      }
    }
    return byId;
  }

  /** wnid -> words of every synset in the file (leaves and their ancestors). */
  public static Map<String, String> wordsByWnid(InputStream in, String name) throws IOException {
    Struct synsets = synsets(in, name);
    Map<String, String> words = new LinkedHashMap<>();
    for (int i = 0; i < synsets.getNumElements(); i++) {
      words.put(synsets.getChar("WNID", i).getString(), synsets.getChar("words", i).getString());
    }
    return words;
  }

  private static Struct synsets(InputStream in, String name) throws IOException {
    MatFile mat;
    try {
      mat = Mat5.newReader(Sources.wrapInputStream(in)).readMat();
    } catch (IOException | RuntimeException e) {
      throw new IOException(name + ": not a readable MATLAB v5 file: " + e.getMessage(), e);
    }
    Struct synsets;
    try {
      synsets = mat.getStruct("synsets");
    } catch (RuntimeException e) {
      throw new IOException(
          name + ": no 'synsets' struct array (is this the devkit's meta.mat?)", e);
    }
    return synsets;
  }

  /** Writes a meta.mat with the devkit's field names (used by the synthetic data sets). */
  public static void write(OutputStream out, List<Synset> synsets) throws IOException {
    Struct struct = Mat5.newStruct(synsets.size(), 1);
    for (int i = 0; i < synsets.size(); i++) {
      Synset s = synsets.get(i);
      struct.set("ILSVRC2012_ID", i, Mat5.newScalar(s.id()));
      struct.set("WNID", i, Mat5.newString(s.wnid()));
      struct.set("words", i, Mat5.newString(s.words()));
      struct.set("num_children", i, Mat5.newScalar(0));
    }
    MatFile mat = Mat5.newMatFile().addArray("synsets", struct);
    // The writer seeks back to patch sizes, so serialise into memory first (a few KB per class).
    ByteBuffer buffer = ByteBuffer.allocate((int) mat.getUncompressedSerializedSize());
    Mat5.newWriter(Sinks.wrap(buffer)).writeMat(mat);
    out.write(buffer.array(), 0, buffer.position());
  }
}
