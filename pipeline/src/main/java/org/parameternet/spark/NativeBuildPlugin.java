package org.parameternet.spark;

import java.util.Map;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;
import org.parameternet.model.NativeBuild;

/**
 * Picks the nd4j-native build for each executor's own CPU ({@link NativeBuild}) when the executor
 * starts, before its first task can load ND4J: the driver's CPU says nothing about an executor's,
 * so no driver-side setting can make this choice. Registered through {@code spark.plugins} ({@link
 * SparkDefaults}).
 */
public final class NativeBuildPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return null;
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext ctx, Map<String, String> extraConf) {
        // on the executor's stderr, beside libgomp's settings: which build this host runs
        System.err.println("pnet: nd4j-native build " + NativeBuild.select());
      }
    };
  }
}
