package org.parameternet.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.List;

/** Command-line {@code key=value} overrides on top of a HOCON file. */
public final class Overrides {
  private Overrides() {}

  /**
   * {@code config} with each {@code key=value} applied in order; a key without the {@code root}
   * prefix gets it. The value is read as HOCON (numbers, booleans, quoted strings, lists, objects),
   * and as the plain string the user typed when it is not valid HOCON (a URI such as {@code
   * file:///data/in1k}) or when HOCON reads a list or object where the key holds a string.
   */
  public static Config apply(Config config, String root, List<String> overrides) {
    Config result = config;
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("expected key=value, got '" + o + "'");
      }
      String key = o.substring(0, eq).trim();
      String path = key.startsWith(root + ".") ? key : root + "." + key;
      String text = o.substring(eq + 1).trim();
      // atPath + fallback: an object value merges into the key's object, anything else replaces
      result = value(result, path, text).atPath(path).withFallback(result);
    }
    return result;
  }

  private static ConfigValue value(Config config, String path, String text) {
    ConfigValue parsed;
    try {
      parsed = ConfigFactory.parseString("v = " + text).getValue("v");
    } catch (ConfigException.Parse | ConfigException.Missing e) {
      return ConfigValueFactory.fromAnyRef(text);
    }
    boolean holdsString =
        config.hasPath(path) && config.getValue(path).valueType() == ConfigValueType.STRING;
    boolean structured =
        parsed.valueType() == ConfigValueType.LIST || parsed.valueType() == ConfigValueType.OBJECT;
    return holdsString && structured ? ConfigValueFactory.fromAnyRef(text) : parsed;
  }
}
