package org.parameternet.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option defaults from HOCON: {@code --batch} of {@code pnet bench models} defaults to the key
 * {@code pnet.bench.models.batch}. The file is {@code $PNET_CONFIG}, else {@code conf/pnet.conf} in
 * the working directory when present. Command-line values always win.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
  static final String FILE_ENV = "PNET_CONFIG";
  static final String DEFAULT_FILE = "conf/pnet.conf";

  private final Config config;
  private final String source;

  ConfigDefaults(Config config, String source) {
    this.config = config;
    this.source = source;
  }

  static ConfigDefaults load() {
    String path = System.getenv(FILE_ENV);
    File file = new File(path == null ? DEFAULT_FILE : path);
    if (path != null && !file.isFile()) {
      throw new IllegalArgumentException(FILE_ENV + " names a missing file: " + file);
    }
    if (!file.isFile()) {
      return new ConfigDefaults(ConfigFactory.empty(), "(none)");
    }
    try {
      return new ConfigDefaults(ConfigFactory.parseFile(file).resolve(), file.getPath());
    } catch (ConfigException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static String keyOf(OptionSpec option) {
    String command = option.command().qualifiedName(".");
    return command + "." + option.longestName().replaceFirst("^--", "");
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    String key = keyOf(option);
    if (!config.hasPath(key)) {
      return null;
    }
    try {
      if (config.getValue(key).valueType() == ConfigValueType.LIST) {
        return config.getList(key).unwrapped().stream()
            .map(String::valueOf)
            .collect(Collectors.joining(","));
      }
      return config.getString(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(
          source + ": key " + key + " must be a value or a list: " + e.getMessage(), e);
    }
  }
}
