package org.parameternet.data.augment;

/** ImageNet channel statistics (RGB, on 0..1 pixels), as timm and torchvision use them. */
public final class Normalization {
  public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  public static final float[] STD = {0.229f, 0.224f, 0.225f};

  private Normalization() {}
}
