package org.parameternet.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this whole process (all threads, native ones included) from /proc/self/stat; the
 * JVM's thread MX beans do not see OpenMP threads. Returns -1 where /proc is absent.
 */
final class ProcessCpu {
  /** USER_HZ on Linux: the unit of /proc's CPU times. */
  static final double TICKS_PER_SECOND = 100.0;

  private ProcessCpu() {}

  static double seconds() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5), counted after comm)
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
