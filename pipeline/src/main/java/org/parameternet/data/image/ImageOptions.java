package org.parameternet.data.image;

import com.typesafe.config.Config;
import java.io.Serializable;
import org.parameternet.config.Defaults;

/**
 * How ingest processes each image.
 *
 * @param shorterSide resize so the shorter side has this length; 0 keeps the original size
 * @param jpegQuality quality of the re-encoded JPEG, 1..100
 * @param minSide images whose shorter side is below this are rejected (0 keeps all)
 * @param maxPixels images declaring more pixels than this are rejected before decoding
 */
public record ImageOptions(int shorterSide, int jpegQuality, int minSide, long maxPixels)
    implements Serializable {
  /** The defaults, from {@code pnet.ingest} in {@code reference.conf}. */
  public static final ImageOptions DEFAULTS = from(Defaults.of("ingest"));

  /** The options at {@code resize}, {@code jpeg-quality}, {@code min-side}, {@code max-pixels}. */
  public static ImageOptions from(Config ingest) {
    return new ImageOptions(
        ingest.getInt("resize"),
        ingest.getInt("jpeg-quality"),
        ingest.getInt("min-side"),
        ingest.getLong("max-pixels"));
  }

  public ImageOptions {
    if (shorterSide < 0) {
      throw new IllegalArgumentException("resize must be >= 0, got " + shorterSide);
    }
    if (jpegQuality < 1 || jpegQuality > 100) {
      throw new IllegalArgumentException("jpeg-quality must be in 1..100, got " + jpegQuality);
    }
    if (minSide < 0) {
      throw new IllegalArgumentException("min-side must be >= 0, got " + minSide);
    }
    if (maxPixels < 1) {
      throw new IllegalArgumentException("max-pixels must be >= 1, got " + maxPixels);
    }
  }

  /**
   * The largest input file ingest reads: {@code maxPixels} at 8 bytes each (a 16-bit RGBA PNG
   * stored uncompressed, the largest pixel the decoders take; JPEG's worst case is about 6) plus 16
   * MB for metadata and the formats' framing (a chosen margin: EXIF, ICC and XMP blocks are far
   * smaller). Anything larger (a 3 GB tar member, a sparse member whose real size is huge) is
   * rejected before a byte is read, so no input can exhaust an executor's heap. At most 2 GB, what
   * one Java array holds.
   */
  public long maxFileBytes() {
    return Math.min(Integer.MAX_VALUE - 16L, maxPixels * 8 + (16L << 20));
  }
}
