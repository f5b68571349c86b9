package org.parameternet.model.layers;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.stream;

/**
 * Where a native block's time goes, for benchmarking: {@code -Dpnet.native.profile=true} times
 * every step of every {@link DnnlProgram} run (oneDNN primitives by kind, implementation and shape;
 * Java steps by name), each but its first {@link #WARM_UP} runs, and prints the totals, largest
 * first, when the JVM exits. Off, it costs one static final test per run. oneDNN's own {@code
 * ONEDNN_VERBOSE} does the same for primitives but not for the Java steps between them, and its
 * output is lost when the JVM's C stdout is not flushed at exit.
 */
final class NativeProfile {
  static final boolean ENABLED = Boolean.getBoolean("pnet.native.profile");

  /** Runs of each step left out of its total. */
  private static final int WARM_UP = 5;

  /** Per step label: runs counted, their nanoseconds, runs left out. */
  private static final Map<String, long[]> TOTALS = new ConcurrentHashMap<>();

  static {
    if (ENABLED) {
      Runtime.getRuntime().addShutdownHook(new Thread(NativeProfile::print));
    }
  }

  private NativeProfile() {}

  /** A step with a name for the profile. */
  record Labelled(String label, DnnlProgram.Step step) implements DnnlProgram.Step {
    @Override
    public void run(stream s) {
      step.run(s);
    }
  }

  static String label(primitive_desc_base pd) {
    long[] shape = DnnlProgram.dims(pd.src_desc());
    if (shape.length == 0) {
      shape = DnnlProgram.dims(pd.diff_dst_desc());
    }
    return pd.get_kind() + " " + pd.impl_info_str().getString() + " " + Arrays.toString(shape);
  }

  static void run(List<DnnlProgram.Step> steps, stream strm) {
    for (DnnlProgram.Step step : steps) {
      long t0 = System.nanoTime();
      step.run(strm);
      strm._wait();
      String label = step instanceof Labelled l ? l.label() : "java step";
      long[] total = TOTALS.computeIfAbsent(label, k -> new long[3]);
      synchronized (total) {
        if (total[2] < WARM_UP) {
          total[2]++; // the first runs compile (JIT, oneDNN's kernels) and would swamp the rest
        } else {
          total[0]++;
          total[1] += System.nanoTime() - t0;
        }
      }
    }
  }

  private static void print() {
    double all = TOTALS.values().stream().mapToLong(t -> t[1]).sum() / 1e6;
    System.err.printf(Locale.ROOT, "native profile: %.1f ms in all%n", all);
    TOTALS.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
        .limit(Integer.getInteger("pnet.native.profile.lines", 40))
        .forEach(
            e ->
                System.err.printf(
                    Locale.ROOT,
                    "%10.1f ms %7d runs  %s%n",
                    e.getValue()[1] / 1e6,
                    e.getValue()[0],
                    e.getKey()));
  }
}
