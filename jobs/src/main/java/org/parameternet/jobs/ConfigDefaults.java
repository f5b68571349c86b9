package org.parameternet.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Option defaults from HOCON: {@code --batch} of {@code pnet bench models} defaults to the key
 * {@code pnet.bench.models.batch}. Every default is declared once, in the {@code reference.conf} of
 * the module that owns it; the user's file ({@code $PNET_CONFIG}, else {@code conf/pnet.conf} in
 * the working directory when present) overrides them. Command-line values always win, and a key in
 * the user's file that names no option is an error naming the file and the key.
 */
final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
  static final String FILE_ENV = "PNET_CONFIG";
  static final String DEFAULT_FILE = "conf/pnet.conf";

  private final Config user;
  private final Config merged;
  private final String source;

  /**
   * @param user the user's overrides (empty for none)
   * @param source where they come from, for errors
   */
  ConfigDefaults(Config user, String source) {
    this.user = user;
    this.source = source;
    try {
      // unresolved, so a user's value reaches the defaults that refer to it (export.weights)
      this.merged =
          user.withFallback(
                  ConfigFactory.parseResources(
                      ConfigDefaults.class.getClassLoader(), "reference.conf"))
              .resolve();
    } catch (ConfigException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  static ConfigDefaults load() {
    String path = System.getenv(FILE_ENV);
    File file = new File(path == null ? DEFAULT_FILE : path);
    if (path != null && !file.isFile()) {
      throw new IllegalArgumentException(FILE_ENV + " names a missing file: " + file);
    }
    if (!file.isFile()) {
      return new ConfigDefaults(ConfigFactory.empty(), "(no user configuration)");
    }
    try {
      return new ConfigDefaults(ConfigFactory.parseFile(file), file.getPath());
    } catch (ConfigException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static String keyOf(OptionSpec option) {
    String command = option.command().qualifiedName(".");
    return command + "." + option.longestName().replaceFirst("^--", "");
  }

  /**
   * Refuses a key of the user's file that names no option of {@code root}'s commands: such a key
   * would be silently ignored.
   */
  void checkUserKeys(CommandSpec root) {
    Set<String> options = new TreeSet<>();
    for (OptionSpec option : options(root)) {
      options.add(keyOf(option));
    }
    Set<String> unknown = new TreeSet<>();
    for (var entry : user.entrySet()) {
      if (!options.contains(entry.getKey())) {
        unknown.add(entry.getKey());
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          source
              + ": "
              + (unknown.size() == 1 ? "key " : "keys ")
              + String.join(", ", unknown)
              + (unknown.size() == 1 ? " names" : " name")
              + " no option (a key is pnet.<command>.<option>, e.g. pnet.ingest.resize; training"
              + " keys go in the experiment file or --set)");
    }
  }

  /** Every option of {@code spec} and its subcommands that can have a default (not help). */
  static List<OptionSpec> options(CommandSpec spec) {
    List<OptionSpec> options = new ArrayList<>();
    for (OptionSpec option : spec.options()) {
      if (!option.usageHelp() && !option.versionHelp()) {
        options.add(option);
      }
    }
    for (CommandLine sub : spec.subcommands().values()) {
      options.addAll(options(sub.getCommandSpec()));
    }
    return options;
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    String key = keyOf(option);
    if (!merged.hasPath(key)) {
      return null;
    }
    try {
      if (merged.getValue(key).valueType() == ConfigValueType.LIST) {
        return merged.getList(key).unwrapped().stream()
            .map(String::valueOf)
            .collect(Collectors.joining(","));
      }
      return merged.getString(key);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(
          source + ": key " + key + " must be a value or a list: " + e.getMessage(), e);
    }
  }
}
