package org.parameternet.data.image;

/**
 * The scan count of a JPEG, bounded from above, read before any decoding. A progressive JPEG can
 * repeat a scan thousands of times in a few hundred kilobytes, and every decoder redoes the image
 * for each (a 3000x3000 file with 20,000 scans held an ingest task for 100 s). libjpeg-turbo can
 * stop at a limit, OpenCV's libjpeg cannot, so the limit is checked here, once, for every codec.
 */
final class JpegScans {
  /** libjpeg-turbo's own limit (TJFLAG_LIMITSCANS): real progressive files have about ten. */
  static final int LIMIT = 500;

  private JpegScans() {}

  /**
   * The start-of-scan markers ({@code FF DA}) anywhere in the file: every scan has one, and in
   * entropy-coded data a {@code FF} is always followed by {@code 00} or a restart marker, so only
   * metadata (an embedded thumbnail, say) can add to the count. The count is never below the true
   * one, which is what a limit needs.
   */
  static int atLeast(byte[] b) {
    int count = 0;
    for (int i = 0; i + 1 < b.length; i++) {
      if (b[i] == (byte) 0xFF && b[i + 1] == (byte) 0xDA) {
        count++;
      }
    }
    return count;
  }
}
