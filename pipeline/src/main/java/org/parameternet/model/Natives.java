package org.parameternet.model;

import org.deeplearning4j.config.DL4JSystemProperties;
import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;

/**
 * Native-code settings for the networks we build. DL4J 1.0.0-M2.1 ships its oneDNN layer helpers
 * (conv, batch norm, pooling) switched off, and their availability check looks for a class that
 * moved (see {@code org.nd4j.nativeblas.Nd4jCpu}). With both fixed, training at 224x224 ran about
 * 2x faster here. The helpers only serve float32; double precision (gradient checks) takes DL4J's
 * built-in path, and a test checks that both paths give the same gradients.
 */
public final class Natives {
  public static final String DISABLE_HELPERS_PROPERTY =
      DL4JSystemProperties.DISABLE_HELPER_PROPERTY;

  private Natives() {}

  /**
   * Turns the oneDNN helpers on for layers created from now on, unless the user set {@code
   * -Dorg.eclipse.deeplearning4j.helpers.disable} explicitly.
   */
  public static void useOneDnnHelpers() {
    if (System.getProperty(DISABLE_HELPERS_PROPERTY) == null) {
      System.setProperty(DISABLE_HELPERS_PROPERTY, "false");
    }
  }

  /** Whether layers created now get oneDNN helpers. */
  public static boolean oneDnnHelpersActive() {
    return !Boolean.parseBoolean(System.getProperty(DISABLE_HELPERS_PROPERTY, "true"))
        && BaseMKLDNNHelper.mklDnnEnabled();
  }
}
