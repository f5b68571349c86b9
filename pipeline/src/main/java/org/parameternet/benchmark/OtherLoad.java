package org.parameternet.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The cores that everything but this process used, from the machine's busy time in /proc/stat
 * (user, nice, system, irq, softirq and steal: a hypervisor's steal counts as load) less this
 * process's own CPU time ({@link ProcessCpu}: all its threads, JIT, GC and OpenMP ones included).
 * The PyTorch peer's harness measures its steps' disturbance the same way. Both sources count in 10
 * ms ticks, so a reading over a window of w seconds is good to about 0.01/w cores. Where /proc is
 * absent every reading is 0: nothing can be told apart.
 */
final class OtherLoad {
  private final double busySeconds;
  private final double ownSeconds;
  private final long nanos;

  private OtherLoad(double busySeconds, double ownSeconds, long nanos) {
    this.busySeconds = busySeconds;
    this.ownSeconds = ownSeconds;
    this.nanos = nanos;
  }

  /** The counters now, to measure from. */
  static OtherLoad mark() {
    return new OtherLoad(machineBusySeconds(), ProcessCpu.seconds(), System.nanoTime());
  }

  /**
   * Since a mark: the cores other processes (and the hypervisor's steal) used, and this process's
   * own CPU seconds (-1 where /proc cannot be read).
   */
  record Since(double otherCores, double ownSeconds) {}

  /** What was used since this mark, each counter read once. */
  Since since() {
    double busy = machineBusySeconds();
    double own = ProcessCpu.seconds();
    double wall = (System.nanoTime() - nanos) / 1e9;
    double ownUsed = own < 0 || ownSeconds < 0 ? -1 : own - ownSeconds;
    if (busy < 0 || busySeconds < 0 || ownUsed < 0 || wall <= 0) {
      return new Since(0, ownUsed);
    }
    return new Since(Math.max(0, ((busy - busySeconds) - ownUsed) / wall), ownUsed);
  }

  /**
   * Waits, for at most {@code maxSeconds}, until other processes use fewer than {@code threshold}
   * cores over a quarter of a second, as the peer does before each step.
   *
   * @return the seconds waited
   */
  static double waitUntilIdle(double maxSeconds, double threshold) {
    long start = System.nanoTime();
    while ((System.nanoTime() - start) / 1e9 < maxSeconds) {
      OtherLoad mark = mark();
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (mark.since().otherCores() < threshold) {
        break;
      }
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /** Busy seconds of all CPUs since boot, or -1 where /proc/stat cannot be read. */
  private static double machineBusySeconds() {
    try (var lines = Files.lines(Path.of("/proc/stat"))) {
      String[] f = lines.findFirst().orElseThrow().trim().split("\\s+");
      // f[0] = "cpu", then user nice system idle iowait irq softirq steal ...
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(f[i]);
      }
      return busy / ProcessCpu.TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
