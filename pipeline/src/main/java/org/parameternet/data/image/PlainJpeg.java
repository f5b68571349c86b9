package org.parameternet.data.image;

/**
 * Whether a JPEG can be stored as it came: a baseline (sequential) frame of 1 or 3 components and
 * no EXIF segment. Such a file decodes the same way in every decoder the pipeline uses, and
 * quickly; progressive files (whose scan count a crafted file can blow up), CMYK/YCCK files and
 * files with an EXIF orientation (which decoders disagree on) are re-encoded instead. The walk
 * follows the segment lengths from SOI to the first frame header and gives up (re-encode) on
 * anything odd.
 */
final class PlainJpeg {
  private PlainJpeg() {}

  static boolean isPlain(byte[] b) {
    if (b.length < 4 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) {
      return false;
    }
    int i = 2;
    while (i + 4 <= b.length) {
      if ((b[i] & 0xFF) != 0xFF) {
        return false;
      }
      int marker = b[i + 1] & 0xFF;
      if (marker == 0xFF) {
        i++; // fill byte
        continue;
      }
      if ((marker >= 0xD0 && marker <= 0xD8) || marker == 0x01) {
        return false; // a restart marker, a second SOI or TEM before the frame header: odd
      }
      int length = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
      if (length < 2 || i + 2 + length > b.length) {
        return false;
      }
      if (marker == 0xE1 && length >= 8 && isExif(b, i + 4)) {
        return false;
      }
      if (marker == 0xC0 || marker == 0xC1) {
        int components = length >= 8 ? b[i + 9] & 0xFF : 0;
        return components == 1 || components == 3;
      }
      if (marker >= 0xC2 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        return false; // progressive, lossless or arithmetic-coded frames
      }
      if (marker == 0xDA || marker == 0xD9) {
        return false; // a scan or the end before any frame header
      }
      i += 2 + length;
    }
    return false;
  }

  private static boolean isExif(byte[] b, int at) {
    return b[at] == 'E' && b[at + 1] == 'x' && b[at + 2] == 'i' && b[at + 3] == 'f';
  }
}
