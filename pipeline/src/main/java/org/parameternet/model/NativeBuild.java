package org.parameternet.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which of the two nd4j-native builds in the jar JavaCPP loads: {@code -onednn-avx512} on a CPU
 * with AVX-512 (F, CD, BW, DQ, VL: what the build is compiled for), {@code -onednn-avx2} anywhere
 * else (the AVX-512 build dies of SIGILL on an AVX2-only CPU). JavaCPP picks a build through the
 * system property {@value #JAVACPP_EXTENSION}, which it reads once, the first time any JavaCPP
 * class loads; without it, it takes the AVX2 build. So {@link #select()} must run before anything
 * touches ND4J, OpenCV or oneDNN: the driver's {@code main} calls it first, executors through
 * {@code org.parameternet.spark.NativeBuildPlugin}.
 *
 * <p>{@value #PROPERTY} = {@code avx2} or {@code avx512} forces a build; the default {@code auto}
 * reads the CPU's flags from {@code /proc/cpuinfo} (where the kernel also drops AVX-512 when the OS
 * does not save its registers). A {@value #JAVACPP_EXTENSION} the user set wins over both.
 */
public final class NativeBuild {
  /** {@code auto} (the default), {@code avx2} or {@code avx512}. */
  public static final String PROPERTY = "pnet.native.build";

  /** The system property through which JavaCPP picks among a library's builds. */
  public static final String JAVACPP_EXTENSION = "org.bytedeco.javacpp.platform.extension";

  public static final String AVX2 = "-onednn-avx2";
  public static final String AVX512 = "-onednn-avx512";

  /** The CPU flags the AVX-512 build needs (x86-64-v4, what -march=skylake-avx512 enables). */
  static final List<String> AVX512_FLAGS =
      List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

  private NativeBuild() {}

  /**
   * Sets {@value #JAVACPP_EXTENSION} to the build for this CPU unless it is set, and returns the
   * extension in force. Call before any JavaCPP class loads.
   */
  public static synchronized String select() {
    String set = System.getProperty(JAVACPP_EXTENSION);
    if (set != null) {
      return set;
    }
    String chosen = forThisCpu();
    System.setProperty(JAVACPP_EXTENSION, chosen);
    return chosen;
  }

  /** The build that {@value #PROPERTY} and this CPU's flags ask for. */
  public static String forThisCpu() {
    return choose(System.getProperty(PROPERTY, "auto"), cpuFlags(Path.of("/proc/cpuinfo")));
  }

  /**
   * The build for a request ({@code auto}, {@code avx2}, {@code avx512}) on a CPU with these flags.
   */
  static String choose(String requested, Set<String> cpuFlags) {
    switch (requested.trim().toLowerCase(Locale.ROOT)) {
      case "avx2":
        return AVX2;
      case "avx512":
        return AVX512;
      case "auto":
        return cpuFlags.containsAll(AVX512_FLAGS) ? AVX512 : AVX2;
      default:
        throw new IllegalArgumentException(
            PROPERTY + " must be auto, avx2 or avx512, not '" + requested + "'");
    }
  }

  /**
   * The flags every processor in a {@code /proc/cpuinfo} reports (empty when there is none, or the
   * file cannot be read: the AVX2 build then).
   */
  static Set<String> cpuFlags(Path cpuinfo) {
    List<String> lines;
    try {
      lines = Files.readAllLines(cpuinfo);
    } catch (IOException | UnsupportedOperationException e) {
      return Set.of();
    }
    Set<String> common = null;
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon < 0 || !line.substring(0, colon).trim().equals("flags")) {
        continue;
      }
      Set<String> flags =
          new HashSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
      if (common == null) {
        common = flags;
      } else {
        common.retainAll(flags);
      }
    }
    return common == null ? Set.of() : common;
  }

  /**
   * The build of libnd4jcpu mapped into this process ({@link #AVX2}, {@link #AVX512} or another
   * extension JavaCPP found), empty before ND4J loads or off Linux.
   */
  public static Optional<String> loaded() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int at = line.lastIndexOf("/linux-x86_64");
        if (at >= 0 && line.endsWith("/libnd4jcpu.so")) {
          String folder = line.substring(at + "/linux-x86_64".length(), line.lastIndexOf('/'));
          return Optional.of(folder);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }
}
