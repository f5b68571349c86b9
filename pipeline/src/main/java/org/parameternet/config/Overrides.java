package org.parameternet.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.List;

/** Command-line {@code --set key=value} overrides on top of a HOCON file. */
public final class Overrides {
  private Overrides() {}

  /**
   * {@code config} with each {@code key=value} applied in order; a key without the {@code root}
   * prefix gets it, the value is parsed as HOCON.
   */
  public static Config apply(Config config, String root, List<String> overrides) {
    Config result = config;
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--set expects key=value, got '" + o + "'");
      }
      String key = o.substring(0, eq).trim();
      String path = key.startsWith(root + ".") ? key : root + "." + key;
      try {
        result =
            ConfigFactory.parseString(path + " = " + o.substring(eq + 1).trim())
                .withFallback(result);
      } catch (ConfigException e) {
        throw new IllegalArgumentException("--set " + o + ": " + e.getMessage(), e);
      }
    }
    return result;
  }
}
