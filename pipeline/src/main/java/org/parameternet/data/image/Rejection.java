package org.parameternet.data.image;

/** Why an input entry was quarantined instead of written. The names are the report's reasons. */
public enum Rejection {
  NOT_AN_IMAGE("not_an_image"),
  CORRUPT("corrupt"),
  TOO_MANY_PIXELS("too_many_pixels"),
  /**
   * A JPEG with more scans than any real image has: a decode-time bomb, refused before decoding.
   */
  TOO_MANY_SCANS("too_many_scans"),
  BELOW_MIN_SIZE("below_min_size"),
  UNKNOWN_WNID("unknown_wnid"),
  UNREADABLE_ARCHIVE("unreadable_archive"),
  NON_SYNSET_MEMBER("non_synset_member"),
  /** A tar member that is a symbolic or hard link, a device or a FIFO: no image data of its own. */
  NOT_A_REGULAR_FILE("not_a_regular_file"),
  /** Larger than any image within the pixel limit can be as a file: rejected unread. */
  TOO_LARGE("too_large"),
  /** A key (class folder and file name) seen before in this ingest: the first one is kept. */
  DUPLICATE_KEY("duplicate_key"),
  /** The ImageNet-21K-P recipe sets aside classes with too few images. */
  EXCLUDED_SMALL_CLASS("excluded_small_class");

  private final String reason;

  Rejection(String reason) {
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
