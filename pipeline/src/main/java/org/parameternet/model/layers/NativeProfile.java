package org.parameternet.model.layers;

import static org.bytedeco.dnnl.global.dnnl.dnnl_blocked;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.dnnl.dnnl_blocking_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.stream;

/**
 * Where a native block's time goes, for benchmarking: {@code -Dpnet.native.profile=true} times
 * every step of every {@link DnnlProgram} run (oneDNN primitives by kind, implementation and shape;
 * Java steps by name), each but its first {@link #WARM_UP} runs, and prints the totals, largest
 * first, when the JVM exits. {@code -Dpnet.native.profile.after=S} counts only runs that start S
 * seconds or more after the first run of any step: the JIT compiles the Java steps over a run's
 * first 25-50 training steps, and a profile of a shorter run charges them their interpreted time.
 * Off, it costs one static final test per run. oneDNN's own {@code ONEDNN_VERBOSE} does the same
 * for primitives but not for the Java steps between them, and its output is lost when the JVM's C
 * stdout is not flushed at exit.
 */
final class NativeProfile {
  static final boolean ENABLED = Boolean.getBoolean("pnet.native.profile");

  /** Runs of each step left out of its total. */
  private static final int WARM_UP = 5;

  /** Nanoseconds after the first profiled run before runs count ({@code profile.after}). */
  private static final long AFTER_NANOS =
      (long) (Double.parseDouble(System.getProperty("pnet.native.profile.after", "0")) * 1e9);

  /** When the first step of any program ran (0: none yet). */
  private static volatile long firstRun;

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

  /**
   * A primitive's kind, implementation, source dims and layouts: source to destination (or output
   * gradient to input gradient in a backward pass), so reorders with the same dims but different
   * work (a dense copy, a transpose, a copy into a channel range) count apart.
   */
  static String label(primitive_desc_base pd) {
    memory.desc from = pd.src_desc();
    memory.desc to = pd.dst_desc();
    if (DnnlProgram.dims(from).length == 0) {
      from = pd.diff_dst_desc();
      to = pd.diff_src_desc();
    }
    return pd.get_kind()
        + " "
        + pd.impl_info_str().getString()
        + " "
        + Arrays.toString(DnnlProgram.dims(from))
        + " "
        + layout(from)
        + ">"
        + layout(to);
  }

  /**
   * A memory's layout in oneDNN's letters: the dims from the largest stride to the smallest ({@code
   * abcd} is NCHW, {@code acdb} NHWC), a blocked dim in capitals followed by its inner blocks
   * ({@code aBcd16b} is nChw16c), {@code *} when the strides leave gaps (a view of a larger
   * buffer), {@code any} when not yet chosen and {@code -} for no memory.
   */
  static String layout(memory.desc d) {
    dnnl_memory_desc_t md = d.data();
    int n = md.ndims();
    if (n == 0) {
      return "-";
    }
    if (md.format_kind() != dnnl_blocked) {
      return "any";
    }
    dnnl_blocking_desc_t blocking = md.format_desc_blocking();
    long[] strides = new long[n];
    long[] extents = new long[n];
    for (int i = 0; i < n; i++) {
      strides[i] = blocking.strides().get(i);
      extents[i] = md.padded_dims().get(i);
    }
    boolean[] blocked = new boolean[n];
    StringBuilder inner = new StringBuilder();
    long block = 1;
    for (int j = 0; j < blocking.inner_nblks(); j++) {
      int dim = (int) blocking.inner_idxs().get(j);
      long size = blocking.inner_blks().get(j);
      blocked[dim] = true;
      extents[dim] /= size;
      block *= size;
      inner.append(size).append((char) ('a' + dim));
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Long.compare(strides[b], strides[a]));
    StringBuilder name = new StringBuilder();
    long dense = block;
    boolean gaps = false;
    for (int k = n - 1; k >= 0; k--) {
      int dim = order[k];
      gaps |= extents[dim] > 1 && strides[dim] != dense;
      dense *= extents[dim];
    }
    for (int dim : order) {
      char letter = (char) ('a' + dim);
      name.append(blocked[dim] ? Character.toUpperCase(letter) : letter);
    }
    return name.append(inner).append(gaps ? "*" : "").toString();
  }

  static void run(List<DnnlProgram.Step> steps, stream strm) {
    for (DnnlProgram.Step step : steps) {
      long t0 = System.nanoTime();
      step.run(strm);
      strm._wait();
      if (firstRun == 0) {
        firstRun = t0;
      }
      if (t0 - firstRun < AFTER_NANOS) {
        continue;
      }
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
    System.err.printf(
        Locale.ROOT,
        "native profile: %.1f ms in all, runs from %.0f s after the first%n",
        all,
        AFTER_NANOS / 1e9);
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
