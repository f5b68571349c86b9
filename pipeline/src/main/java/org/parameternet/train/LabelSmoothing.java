package org.parameternet.train;

/**
 * Smoothed one-hot targets {@code (1 - eps) * onehot + eps / K}: with softmax cross-entropy this is
 * exactly timm's LabelSmoothingCrossEntropy (Deeplearning4j's losses have no smoothing option).
 */
public final class LabelSmoothing {
  private LabelSmoothing() {}

  public static void write(int label, int classes, double epsilon, float[] out, int offset) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException("label " + label + " outside 0.." + (classes - 1));
    }
    float off = (float) (epsilon / classes);
    for (int k = 0; k < classes; k++) {
      out[offset + k] = off;
    }
    out[offset + label] = (float) (1 - epsilon + epsilon / classes);
  }
}
