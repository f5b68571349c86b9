package org.parameternet.data.synth;

/**
 * Size of a generated data set.
 *
 * @param classes22k classes of the 22K-like set (sorted wnids, imbalanced counts)
 * @param classes1k classes of the 1K-like set: the first {@code classes1k - 1} 22K classes plus one
 *     wnid absent from the 22K set, as n04399382 is absent from fall11
 * @param minPerClass fewest images of a 22K-like class
 * @param maxPerClass most images of a 22K-like class
 * @param trainPerClass images per 1K-like training class
 * @param valPerClass images per class in the 1K-like validation folder
 * @param size image width; height is 3/4 of it, as most ImageNet photos are 4:3
 * @param badInputs add one input of every kind ingest must quarantine
 */
public record SynthSpec(
    int classes22k,
    int classes1k,
    int minPerClass,
    int maxPerClass,
    int trainPerClass,
    int valPerClass,
    int size,
    long seed,
    boolean badInputs) {
  public SynthSpec {
    if (classes1k < 2 || classes1k > classes22k + 1) {
      throw new IllegalArgumentException(
          "classes-1k must be in 2..classes-22k+1, got " + classes1k);
    }
    if (minPerClass < 1 || maxPerClass < minPerClass) {
      throw new IllegalArgumentException(
          "need 1 <= min-per-class <= max-per-class, got " + minPerClass + ", " + maxPerClass);
    }
    if (trainPerClass < 1 || valPerClass < 1 || size < 16) {
      throw new IllegalArgumentException("per-class counts must be >= 1 and size >= 16");
    }
  }

  /** The wnid of synthetic class {@code index}; ordering by index equals ordering by wnid. */
  public static String wnid(int index) {
    return String.format(java.util.Locale.ROOT, "n%08d", 1_000_000 + 37 * index);
  }

  /** The 1K-like class that the 22K-like set lacks. */
  public String missingFrom22k() {
    return wnid(classes22k + 1000);
  }
}
