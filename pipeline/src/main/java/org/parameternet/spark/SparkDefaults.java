package org.parameternet.spark;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.parameternet.model.NativeThreads;

/**
 * The Spark settings pnet sessions run with unless spark-submit sets them. Parameter averaging
 * moves a network's parameters and Adam state (hundreds of MB) through a broadcast and every task
 * result each round, so these settings are about moving large arrays cheaply.
 */
public final class SparkDefaults {
  private SparkDefaults() {}

  /** For every master. */
  public static Map<String, String> anyMaster() {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("spark.serializer", KryoSerializer.class.getName());
    settings.put("spark.kryo.registrator", PnetKryoRegistrator.class.getName());
    settings.put("spark.kryoserializer.buffer.max", "2047m");
    // averaging collects one parameters+state copy per partition; the driver's heap is the limit
    settings.put("spark.driver.maxResultSize", "0");
    // float parameters barely compress: LZ4 would cost time on both sides for a few percent
    settings.put("spark.broadcast.compress", "false");
    // idle OpenMP threads sleep instead of spinning on the cores the Java kernels need
    // (NativeThreads)
    settings.put("spark.executorEnv." + NativeThreads.WAIT_POLICY, NativeThreads.PASSIVE);
    return settings;
  }

  /**
   * For local mode in addition: task results are handed over in-process instead of through the
   * block manager (which copies them into a block and fetches them back over a socket).
   */
  public static Map<String, String> localMode() {
    Map<String, String> settings = new LinkedHashMap<>(anyMaster());
    settings.put("spark.task.maxDirectResultSize", "2047m");
    settings.put("spark.rpc.message.maxSize", "2047");
    return settings;
  }

  /** The entries of {@code defaults} that {@code conf} (spark-submit's settings) does not set. */
  public static Map<String, String> missingFrom(SparkConf conf, Map<String, String> defaults) {
    Map<String, String> missing = new LinkedHashMap<>();
    defaults.forEach(
        (k, v) -> {
          if (!conf.contains(k)) {
            missing.put(k, v);
          }
        });
    return missing;
  }
}
