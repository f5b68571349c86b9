package org.parameternet.data.image;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.NativeLongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libjpeg-turbo's TurboJPEG API (the system's {@code libturbojpeg.so.0}, Debian package {@code
 * libturbojpeg0}) through JNA: SIMD JPEG decoding and encoding, the same library Pillow uses. The
 * JPEG codec OpenCV's JavaCPP build bundles runs at about half its speed here. When the library is
 * not installed, {@link #available()} is empty and callers use OpenCV.
 */
public final class TurboJpeg {
  private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);
  private static final int PIXEL_FORMAT_BGR = 1;
  private static final int SUBSAMPLING_420 = 2;
  private static final int ERROR_WARNING = 0;

  /**
   * libjpeg-turbo 2.1's TJFLAG_LIMITSCANS: a progressive JPEG with an absurd number of scans (a
   * decompression-time bomb) is an error instead of minutes of work. Older libraries ignore it.
   */
  private static final int FLAG_LIMIT_SCANS = 32768;

  /**
   * Every function {@link Api} declares. JNA binds them lazily, so a libjpeg-turbo older than 2.0
   * (RHEL 8 and Ubuntu 18.04 ship 1.5, without {@code tjGetErrorStr2}) would fail mid-job; they are
   * looked up when the library loads instead.
   */
  static final List<String> FUNCTIONS =
      List.of(
          "tjInitDecompress",
          "tjInitCompress",
          "tjDecompressHeader3",
          "tjDecompress2",
          "tjCompress2",
          "tjFree",
          "tjGetErrorStr2",
          "tjGetErrorCode");

  private static final Optional<TurboJpeg> INSTANCE = load();

  /** The C functions used, as declared in turbojpeg.h (2.x API; unsigned long is a NativeLong). */
  interface Api extends Library {
    Pointer tjInitDecompress();

    Pointer tjInitCompress();

    int tjDecompress2(
        Pointer handle,
        byte[] jpeg,
        NativeLong size,
        Pointer destination,
        int width,
        int pitch,
        int height,
        int pixelFormat,
        int flags);

    int tjCompress2(
        Pointer handle,
        Pointer source,
        int width,
        int pitch,
        int height,
        int pixelFormat,
        PointerByReference jpeg,
        NativeLongByReference size,
        int subsampling,
        int quality,
        int flags);

    int tjDecompressHeader3(
        Pointer handle,
        byte[] jpeg,
        NativeLong size,
        IntByReference width,
        IntByReference height,
        IntByReference subsampling,
        IntByReference colorspace);

    void tjFree(Pointer buffer);

    String tjGetErrorStr2(Pointer handle);

    int tjGetErrorCode(Pointer handle);
  }

  private final Api api;
  // TurboJPEG handles are not thread-safe: one pair per thread (executors run a task per thread)
  private final ThreadLocal<Pointer> decompressor;
  private final ThreadLocal<Pointer> compressor;

  private TurboJpeg(Api api) {
    this.api = api;
    this.decompressor = ThreadLocal.withInitial(api::tjInitDecompress);
    this.compressor = ThreadLocal.withInitial(api::tjInitCompress);
  }

  /** The library, when this machine has it. */
  public static Optional<TurboJpeg> available() {
    return INSTANCE;
  }

  private static Optional<TurboJpeg> load() {
    if (Boolean.getBoolean("pnet.turbojpeg.disable")) {
      LOG.info("TurboJPEG disabled (pnet.turbojpeg.disable): JPEG work goes through OpenCV");
      return Optional.empty();
    }
    for (String name : new String[] {"turbojpeg", "libturbojpeg.so.0"}) {
      NativeLibrary library;
      try {
        library = NativeLibrary.getInstance(name);
      } catch (UnsatisfiedLinkError absent) {
        continue; // try the next name
      }
      List<String> missing = missing(library, FUNCTIONS);
      if (!missing.isEmpty()) {
        LOG.warn(
            "{} lacks {} (libjpeg-turbo older than 2.0): JPEG decoding and encoding fall back to"
                + " OpenCV's slower bundled codec",
            library.getFile(),
            missing);
        return Optional.empty();
      }
      @SuppressWarnings("deprecation")
      Api api = (Api) Native.loadLibrary(name, Api.class);
      return Optional.of(new TurboJpeg(api));
    }
    LOG.warn(
        "libturbojpeg not found (Debian/Ubuntu: apt-get install libturbojpeg0): JPEG decoding"
            + " and encoding fall back to OpenCV's slower bundled codec");
    return Optional.empty();
  }

  /** The names in {@code functions} that {@code library} does not export. */
  static List<String> missing(NativeLibrary library, List<String> functions) {
    List<String> missing = new ArrayList<>();
    for (String function : functions) {
      try {
        library.getFunction(function);
      } catch (UnsatisfiedLinkError e) {
        missing.add(function);
      }
    }
    return missing;
  }

  /**
   * The size the decoder will decode, {@code {width, height}}, read by libjpeg's own marker parser
   * (which knows which markers carry lengths, so an RSTn before the frame header or a fake one
   * inside a comment cannot mislead it); throws when the header does not parse.
   */
  public int[] header(byte[] jpeg) throws JpegException {
    Pointer handle = decompressor.get();
    IntByReference width = new IntByReference();
    IntByReference height = new IntByReference();
    int status =
        api.tjDecompressHeader3(
            handle,
            jpeg,
            new NativeLong(jpeg.length),
            width,
            height,
            new IntByReference(),
            new IntByReference());
    if (status != 0) {
      throw new JpegException(api.tjGetErrorStr2(handle));
    }
    return new int[] {width.getValue(), height.getValue()};
  }

  /**
   * Decodes into {@code destination} (BGR, {@code pitch} bytes per row) at {@code width} x {@code
   * height}, which may be the header's size scaled by 1/2, 1/4 or 1/8 (DCT-domain scaling).
   * Warnings (e.g. extraneous bytes) are tolerated as libjpeg does; errors throw.
   */
  public void decode(byte[] jpeg, Pointer destination, int width, int pitch, int height)
      throws JpegException {
    Pointer handle = decompressor.get();
    int status =
        api.tjDecompress2(
            handle,
            jpeg,
            new NativeLong(jpeg.length),
            destination,
            width,
            pitch,
            height,
            PIXEL_FORMAT_BGR,
            FLAG_LIMIT_SCANS);
    if (status != 0 && api.tjGetErrorCode(handle) != ERROR_WARNING) {
      throw new JpegException(api.tjGetErrorStr2(handle));
    }
  }

  /** Encodes BGR pixels as a baseline 4:2:0 JPEG of the given quality. */
  public byte[] encode(Pointer source, int width, int pitch, int height, int quality)
      throws JpegException {
    Pointer handle = compressor.get();
    PointerByReference buffer = new PointerByReference();
    NativeLongByReference size = new NativeLongByReference();
    int status =
        api.tjCompress2(
            handle,
            source,
            width,
            pitch,
            height,
            PIXEL_FORMAT_BGR,
            buffer,
            size,
            SUBSAMPLING_420,
            quality,
            0);
    Pointer jpeg = buffer.getValue();
    try {
      if (status != 0) {
        throw new JpegException(api.tjGetErrorStr2(handle));
      }
      return jpeg.getByteArray(0, (int) size.getValue().longValue());
    } finally {
      if (jpeg != null) {
        api.tjFree(jpeg);
      }
    }
  }

  /** A TurboJPEG error, with the library's message. */
  public static final class JpegException extends Exception {
    JpegException(String message) {
      super(message);
    }
  }
}
