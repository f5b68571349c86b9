package org.parameternet.model.layers;

import java.util.Arrays;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Times a native block's Java batch norm (hard-swish), forward and backward, on one shape and
 * layout, alone: {@code n c h w tag [iterations] [lanes|planar]} ({@code tag} a oneDNN format tag:
 * nchw, nhwc, nChw16c; {@code planar}, NCHW only, is {@link PlanarNorm}, else {@link LaneNorm}).
 * Run it with {@code BENCH_MAIN=org.parameternet.model.layers.PlanNormBench tools/native-bench.sh
 * 32 34 112 112 nchw 100 planar}.
 */
public final class PlanNormBench {
  public static void main(String[] args) {
    long[] dims = {
      Long.parseLong(args[0]),
      Long.parseLong(args[1]),
      Long.parseLong(args[2]),
      Long.parseLong(args[3])
    };
    memory.format_tag tag = memory.format_tag.valueOf(args[4]);
    int iterations = args.length > 5 ? Integer.parseInt(args[5]) : 200;
    try (DnnlProgram p = new DnnlProgram(true, false)) {
      memory.desc md = p.desc(dims, tag);
      LaneLayout layout = LaneLayout.of(p, md);
      memory x = p.bound(md, "x");
      PlanNorm norm =
          args.length > 6 && args[6].equals("planar")
              ? new PlanarNorm(p, md, FusedBatchNorm.HARD_SWISH, "n.")
              : new LaneNorm(p, md, layout, FusedBatchNorm.HARD_SWISH, "n.");
      norm.forward(x);
      memory d = p.bound(md, "d");
      norm.backward(d, "g");
      long size = md.get_size() / 4;
      FloatPointer xs = new FloatPointer(size);
      FloatPointer ds = new FloatPointer(size);
      java.util.Random r = new java.util.Random(1);
      for (long i = 0; i < size; i++) {
        xs.put(i, (float) r.nextGaussian());
        ds.put(i, (float) r.nextGaussian());
      }
      int c = (int) dims[1];
      FloatPointer gb = new FloatPointer(2L * c);
      for (int i = 0; i < c; i++) {
        gb.put(i, 1f);
        gb.put(c + i, 0.1f);
      }
      FloatPointer g = new FloatPointer(2L * c);
      p.bind("x", xs);
      p.bind("d", ds);
      p.bind("n.gamma", gb);
      p.bind("g", g);
      long[] fwd = new long[iterations];
      long[] bwd = new long[iterations];
      for (int i = 0; i < iterations; i++) {
        long t0 = System.nanoTime();
        p.run(p.forward);
        long t1 = System.nanoTime();
        p.run(p.backward);
        long t2 = System.nanoTime();
        fwd[i] = t1 - t0;
        bwd[i] = t2 - t1;
      }
      Arrays.sort(fwd);
      Arrays.sort(bwd);
      System.out.printf(
          "%s %s "
              + (args.length > 6 ? args[6] : "lanes")
              + ": forward %.3f ms, backward %.3f ms (medians of %d)%n",
          Arrays.toString(dims),
          tag,
          fwd[iterations / 2] / 1e6,
          bwd[iterations / 2] / 1e6,
          iterations);
    }
  }
}
