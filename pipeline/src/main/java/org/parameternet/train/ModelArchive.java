package org.parameternet.train;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads the {@code model.zip} of a checkpoint: DL4J's {@code ModelSerializer} format, restricted to
 * the entries {@code ModelSerializer.writeModel} writes for pnet (the graph's JSON, the parameters
 * and the updater state, both in ND4J's binary array format). {@code ModelSerializer} itself also
 * runs Java deserialization ({@code ObjectInputStream}) on a {@code preprocessor.bin} or {@code
 * normalizer.bin} if the archive holds one, which would run code chosen by whoever wrote the file;
 * an archive with any entry but these three is refused instead.
 */
final class ModelArchive {
  static final String CONFIGURATION = "configuration.json";
  static final String COEFFICIENTS = "coefficients.bin";
  static final String UPDATER = "updaterState.bin";
  private static final Set<String> ENTRIES = Set.of(CONFIGURATION, COEFFICIENTS, UPDATER);

  private ModelArchive() {}

  /** The network in {@code in}; {@code source} names the file in errors. */
  static ComputationGraph read(InputStream in, boolean withUpdater, String source)
      throws IOException {
    Map<String, byte[]> entries = entries(in, source);
    byte[] json = entries.get(CONFIGURATION);
    byte[] coefficients = entries.get(COEFFICIENTS);
    if (json == null || coefficients == null) {
      throw new IllegalArgumentException(
          source
              + " is not a pnet model archive: it lacks "
              + CONFIGURATION
              + " or "
              + COEFFICIENTS);
    }
    ComputationGraphConfiguration conf =
        ComputationGraphConfiguration.fromJson(new String(json, StandardCharsets.UTF_8));
    INDArray params = array(coefficients);
    conf.setDataType(params.dataType());
    ComputationGraph net = new ComputationGraph(conf);
    net.init(params, false);
    byte[] updater = entries.get(UPDATER);
    if (withUpdater && updater != null) {
      net.getUpdater().setStateViewArray(array(updater));
    }
    return net;
  }

  private static Map<String, byte[]> entries(InputStream in, String source) throws IOException {
    Map<String, byte[]> entries = new HashMap<>();
    try (ZipInputStream zip = new ZipInputStream(in)) {
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        String name = entry.getName();
        if (!ENTRIES.contains(name)) {
          throw new IllegalArgumentException(
              source
                  + " holds the entry '"
                  + name
                  + "', which pnet never writes: refused unread (DL4J would deserialize Java"
                  + " objects from some entries, running whatever code they name)");
        }
        if (entries.put(name, zip.readAllBytes()) != null) {
          throw new IllegalArgumentException(source + " holds the entry '" + name + "' twice");
        }
      }
    }
    return entries;
  }

  private static INDArray array(byte[] bytes) throws IOException {
    try (DataInputStream data = new DataInputStream(new ByteArrayInputStream(bytes))) {
      return Nd4j.read(data);
    }
  }
}
