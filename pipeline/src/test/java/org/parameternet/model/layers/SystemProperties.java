package org.parameternet.model.layers;

/** Runs test code with a kernel switch set. */
final class SystemProperties {
  private SystemProperties() {}

  /** Runs {@code body} with system property {@code key} at {@code value}, then clears it. */
  static void with(String key, String value, Runnable body) {
    System.setProperty(key, value);
    try {
      body.run();
    } finally {
      System.clearProperty(key);
    }
  }
}
