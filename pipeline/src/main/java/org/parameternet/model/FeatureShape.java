package org.parameternet.model;

/** Shape of one sample's feature map (channels x height x width). */
public record FeatureShape(int channels, int height, int width) {
  public long elements() {
    return (long) channels * height * width;
  }

  public FeatureShape withChannels(int c) {
    return new FeatureShape(c, height, width);
  }
}
