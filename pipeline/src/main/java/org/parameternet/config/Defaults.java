package org.parameternet.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The defaults every module declares once, in its {@code reference.conf} under the root key {@code
 * pnet}: Typesafe Config merges those of all modules on the classpath.
 */
public final class Defaults {
  /** The root key of pnet's reference configuration. */
  public static final String ROOT = "pnet";

  private Defaults() {}

  /** The merged reference configuration, rooted at {@code pnet}. */
  public static Config reference() {
    return ConfigFactory.defaultReference(Defaults.class.getClassLoader()).getConfig(ROOT);
  }

  /** One section of it, e.g. {@code ingest} for the keys {@code pnet.ingest.*}. */
  public static Config of(String section) {
    return reference().getConfig(section);
  }
}
