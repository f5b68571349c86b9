package org.parameternet.model;

/** Channel rounding shared by the builder and the cost counter. */
public final class Channels {
  private Channels() {}

  /** The MobileNet/timm rule: nearest multiple of the divisor, never more than 10% below. */
  public static int makeDivisible(double value, int divisor) {
    int rounded = Math.max(divisor, (int) (value + divisor / 2.0) / divisor * divisor);
    if (rounded < 0.9 * value) {
      rounded += divisor;
    }
    return rounded;
  }

  /** Rounding used by GhostNet for every width (divisor 4). */
  public static int round4(double value) {
    return makeDivisible(value, 4);
  }
}
