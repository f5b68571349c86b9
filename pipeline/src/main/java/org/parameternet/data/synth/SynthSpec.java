package org.parameternet.data.synth;

import com.typesafe.config.Config;
import java.util.Locale;
import org.parameternet.config.Defaults;

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

  /** A spec built by name, starting from {@code pnet.synth} of reference.conf. */
  public static Builder builder() {
    Config d = Defaults.of("synth");
    return new Builder()
        .classes22k(d.getInt("classes-22k"))
        .classes1k(d.getInt("classes-1k"))
        .perClass22k(d.getInt("min-per-class"), d.getInt("max-per-class"))
        .perClass1k(d.getInt("train-per-class"), d.getInt("val-per-class"))
        .size(d.getInt("size"))
        .seed(d.getLong("seed"));
  }

  /** Names each of the spec's nine numbers, so a call reads as what it sets. */
  public static final class Builder {
    private int classes22k;
    private int classes1k;
    private int minPerClass;
    private int maxPerClass;
    private int trainPerClass;
    private int valPerClass;
    private int size;
    private long seed;
    private boolean badInputs;

    private Builder() {}

    public Builder classes22k(int v) {
      classes22k = v;
      return this;
    }

    public Builder classes1k(int v) {
      classes1k = v;
      return this;
    }

    /** Images per class of the 22K-like set: drawn uniformly between the two. */
    public Builder perClass22k(int min, int max) {
      minPerClass = min;
      maxPerClass = max;
      return this;
    }

    /** Images per class of the 1K-like train and val sets. */
    public Builder perClass1k(int train, int val) {
      trainPerClass = train;
      valPerClass = val;
      return this;
    }

    public Builder size(int v) {
      size = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder badInputs(boolean v) {
      badInputs = v;
      return this;
    }

    public SynthSpec build() {
      return new SynthSpec(
          classes22k,
          classes1k,
          minPerClass,
          maxPerClass,
          trainPerClass,
          valPerClass,
          size,
          seed,
          badInputs);
    }
  }

  /** The wnid of synthetic class {@code index}; ordering by index equals ordering by wnid. */
  public static String wnid(int index) {
    return String.format(Locale.ROOT, "n%08d", 1_000_000 + 37 * index);
  }

  /** The 1K-like class that the 22K-like set lacks. */
  public String missingFrom22k() {
    return wnid(classes22k + 1000);
  }
}
