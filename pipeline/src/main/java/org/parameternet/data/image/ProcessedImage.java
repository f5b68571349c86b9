package org.parameternet.data.image;

/** The outcome of processing one input: an RGB JPEG, or the reason it was rejected. */
public sealed interface ProcessedImage {

  /** A decoded, converted, resized and re-encoded image. */
  record Accepted(byte[] jpeg, int height, int width, int originalHeight, int originalWidth)
      implements ProcessedImage {}

  record Rejected(Rejection reason, String detail) implements ProcessedImage {}
}
