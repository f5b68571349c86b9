package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link PlanarNorm}, every channel held in a thread's array and with only some of its planes held
 * (the rest read again), against {@link LaneNorm} on the same NCHW input, output gradient, gamma
 * and beta: outputs, input gradients and gamma's and beta's gradients within 1e-5 of their largest
 * value, batch statistics within 1e-6; in inference, the running statistics' output.
 */
class PlanarNormTest {
  private static final int[] ACTIVATIONS = {
    FusedBatchNorm.IDENTITY, FusedBatchNorm.RELU, FusedBatchNorm.HARD_SWISH
  };

  @ParameterizedTest(name = "{0}x{1}x{2}x{3}, {4} floats held")
  @CsvSource({
    "1, 3, 7, 7, 524288",
    "5, 3, 7, 9, 524288",
    "5, 3, 7, 9, 126",
    "9, 4, 1, 1, 2",
    "4, 6, 70, 70, 4900",
    "3, 17, 14, 14, 1000000"
  })
  void matchesTheLaneKernels(int batch, int channels, int h, int w, int resident) {
    for (int activation : ACTIVATIONS) {
      long[] dims = {batch, channels, h, w};
      Result lanes = run(dims, true, p -> md -> laneNorm(p, md, activation));
      Result planes = run(dims, true, p -> md -> new PlanarNorm(p, md, activation, "n.", resident));
      close(lanes.out, planes.out, 1e-5, "output");
      close(lanes.dx, planes.dx, 1e-5, "input gradient");
      close(lanes.gammaBetaGradient, planes.gammaBetaGradient, 1e-5, "gamma and beta gradient");
      close(lanes.mean, planes.mean, 1e-6, "batch mean");
      close(lanes.variance, planes.variance, 1e-6, "batch variance");
      Result laneInference = run(dims, false, p -> md -> laneNorm(p, md, activation));
      Result planeInference =
          run(dims, false, p -> md -> new PlanarNorm(p, md, activation, "n.", resident));
      close(laneInference.out, planeInference.out, 1e-5, "inference output");
    }
  }

  /**
   * With two routing pools ({@link RoutingPoolSource#poolInto}): the forward pass writes each
   * output plane's mean into both at their offsets and leaves the rest of the rows alone; the
   * backward pass gives what the norm without pools gives for the output gradient plus both pools'
   * gradients broadcast over the planes. Every plane held, and only some.
   */
  @ParameterizedTest(name = "{0}x{1}x{2}x{3}, {4} floats held")
  @CsvSource({"5, 3, 7, 9, 524288", "5, 3, 7, 9, 126", "3, 4, 12, 12, 1000000"})
  void poolsItsOutputAndAddsThePoolsGradient(int batch, int channels, int h, int w, int resident) {
    for (int activation : ACTIVATIONS) {
      long[] dims = {batch, channels, h, w};
      int plane = h * w;
      int wide = channels + 3;
      Random random = new Random(11);
      float[] gradientA = new float[batch * channels];
      float[] gradientB = new float[batch * wide];
      for (int i = 0; i < gradientA.length; i++) {
        gradientA[i] = (float) random.nextGaussian();
      }
      for (int i = 0; i < gradientB.length; i++) {
        gradientB[i] = (float) random.nextGaussian();
      }
      float[] added = new float[batch * channels];
      for (int n = 0; n < batch; n++) {
        for (int c = 0; c < channels; c++) {
          added[n * channels + c] = gradientA[n * channels + c] + gradientB[n * wide + 2 + c];
        }
      }
      Result plain =
          run(
              dims,
              true,
              p -> md -> new PlanarNorm(p, md, activation, "n.", resident),
              (n, c) -> added[n * channels + c]);
      try (DnnlProgram p = new DnnlProgram(true, false)) {
        memory.desc md = p.desc(dims, memory.format_tag.nchw);
        PlanarNorm norm = new PlanarNorm(p, md, activation, "n.", resident);
        memory pooledA = p.bound(p.desc(new long[] {batch, channels}, memory.format_tag.ab), "pa");
        memory pooledB = p.bound(p.desc(new long[] {batch, wide}, memory.format_tag.ab), "pb");
        memory gA = p.bound(p.desc(new long[] {batch, channels}, memory.format_tag.ab), "ga");
        memory gB = p.bound(p.desc(new long[] {batch, wide}, memory.format_tag.ab), "gb");
        norm.poolInto(pooledA, gA, 0, channels);
        norm.poolInto(pooledB, gB, 2, wide);
        Bound bound = bind(p, norm, dims, true);
        bindKept(p, bound, "pa", filled(batch * channels, () -> -7f));
        bindKept(p, bound, "pb", filled(batch * wide, () -> -7f));
        bindKept(p, bound, "ga", filled(gradientA.length, new Sequence(gradientA)));
        bindKept(p, bound, "gb", filled(gradientB.length, new Sequence(gradientB)));
        p.run(p.forward);
        p.run(p.backward);
        float[] out = DnnlProgram.read(bound.out);
        float[] means = new float[batch * channels];
        float[] meansB = new float[batch * wide];
        for (int n = 0; n < batch; n++) {
          for (int c = 0; c < wide; c++) {
            boolean ours = c >= 2 && c < 2 + channels;
            meansB[n * wide + c] = ours ? mean(out, (n * channels + c - 2) * plane, plane) : -7f;
          }
          for (int c = 0; c < channels; c++) {
            means[n * channels + c] = mean(out, (n * channels + c) * plane, plane);
          }
        }
        close(means, DnnlProgram.read(pooledA), 1e-5, "pool at offset 0");
        close(meansB, DnnlProgram.read(pooledB), 1e-5, "pool at offset 2 of a wider row");
        close(plain.out, out, 1e-6, "output");
        close(plain.dx, DnnlProgram.read(bound.dx), 1e-5, "input gradient");
        float[] gammaBetaGradient = new float[2 * channels];
        bound.gradient.get(gammaBetaGradient);
        close(plain.gammaBetaGradient, gammaBetaGradient, 1e-5, "gamma and beta gradient");
        Reference.reachabilityFence(bound);
      }
    }
  }

  private static float mean(float[] v, int from, int length) {
    double sum = 0;
    for (int i = from; i < from + length; i++) {
      sum += v[i];
    }
    return (float) (sum / length);
  }

  /** Values from an array, in order. */
  private static final class Sequence implements Values {
    private final float[] values;
    private int next;

    Sequence(float[] values) {
      this.values = values;
    }

    @Override
    public float next() {
      return values[next++];
    }
  }

  private static PlanNorm laneNorm(DnnlProgram p, memory.desc md, int activation) {
    return new LaneNorm(p, md, LaneLayout.of(p, md), activation, "n.");
  }

  private record Result(
      float[] out, float[] dx, float[] gammaBetaGradient, float[] mean, float[] variance) {}

  private static Result run(
      long[] dims, boolean training, Function<DnnlProgram, Function<memory.desc, PlanNorm>> make) {
    return run(dims, training, make, (n, c) -> 0f);
  }

  /** What is added to every value of the output gradient's plane (n, c). */
  private interface PlaneOffset {
    float of(int n, int c);
  }

  /** The norm's output, input gradient and gamma's and beta's gradient, as bound. */
  /**
   * The norm's output, input gradient and gamma's and beta's gradient, as bound, and every buffer
   * bound (JavaCPP frees a pointer's memory once the pointer is collected: they must stay reachable
   * until the last run, {@link #bindKept}).
   */
  private record Bound(memory out, memory dx, FloatPointer gradient, List<FloatPointer> kept) {}

  /** Binds {@code key} to {@code buffer}, kept reachable with {@code bound}. */
  private static void bindKept(DnnlProgram p, Bound bound, String key, FloatPointer buffer) {
    bound.kept().add(buffer);
    p.bind(key, buffer);
  }

  /**
   * Binds the norm's input, output gradient (plus {@code added} per plane), parameters and
   * statistics, filled from one seed; appends its passes.
   */
  private static Bound bind(
      DnnlProgram p, PlanNorm norm, long[] dims, boolean training, PlaneOffset added) {
    memory.desc md = p.desc(dims, memory.format_tag.nchw);
    memory x = p.bound(md, "x");
    memory out = norm.forward(x);
    memory dx = training ? norm.backward(p.bound(md, "d"), "g") : null;
    int size = (int) (md.get_size() / Float.BYTES);
    int channels = (int) dims[1];
    int plane = (int) (dims[2] * dims[3]);
    Random random = new Random(7);
    FloatPointer xs = filled(size, () -> (float) (random.nextGaussian() * 2 + 0.5));
    FloatPointer ds = filled(size, () -> (float) random.nextGaussian());
    for (int i = 0; i < size; i++) {
      ds.put(i, ds.get(i) + added.of(i / plane / channels, i / plane % channels));
    }
    FloatPointer gammaBeta = filled(2 * channels, () -> (float) (random.nextGaussian() + 0.5));
    FloatPointer mean = filled(channels, () -> (float) random.nextGaussian());
    FloatPointer variance = filled(channels, () -> (float) (random.nextDouble() + 0.2));
    FloatPointer gradient = new FloatPointer(2L * channels);
    Bound bound = new Bound(out, dx, gradient, new ArrayList<>());
    bindKept(p, bound, "x", xs);
    bindKept(p, bound, "d", ds);
    bindKept(p, bound, "n.gamma", gammaBeta);
    bindKept(p, bound, "n.mean", mean);
    bindKept(p, bound, "n.var", variance);
    bindKept(p, bound, "g", gradient);
    return bound;
  }

  private static Bound bind(DnnlProgram p, PlanNorm norm, long[] dims, boolean training) {
    return bind(p, norm, dims, training, (n, c) -> 0f);
  }

  private static Result run(
      long[] dims,
      boolean training,
      Function<DnnlProgram, Function<memory.desc, PlanNorm>> make,
      PlaneOffset added) {
    try (DnnlProgram p = new DnnlProgram(training, false)) {
      memory.desc md = p.desc(dims, memory.format_tag.nchw);
      PlanNorm norm = make.apply(p).apply(md);
      Bound bound = bind(p, norm, dims, training, added);
      p.run(p.forward);
      float[] output = DnnlProgram.read(bound.out);
      if (!training) {
        Reference.reachabilityFence(bound);
        return new Result(output, null, null, null, null);
      }
      p.run(p.backward);
      float[] gammaBetaGradient = new float[2 * (int) dims[1]];
      bound.gradient.get(gammaBetaGradient);
      Result result =
          new Result(
              output,
              DnnlProgram.read(bound.dx),
              gammaBetaGradient,
              norm.batchMean(),
              norm.batchVariance());
      Reference.reachabilityFence(bound);
      return result;
    }
  }

  private interface Values {
    float next();
  }

  private static FloatPointer filled(int length, Values values) {
    FloatPointer pointer = new FloatPointer(length);
    for (int i = 0; i < length; i++) {
      pointer.put(i, values.next());
    }
    return pointer;
  }

  private static void close(float[] expected, float[] actual, double relative, String what) {
    assertTrue(expected.length == actual.length, what + ": lengths differ");
    double largest = 0;
    for (float v : expected) {
      largest = Math.max(largest, Math.abs(v));
    }
    float[] tolerance = new float[] {(float) (relative * Math.max(largest, 1e-6))};
    for (int i = 0; i < expected.length; i++) {
      if (Math.abs(expected[i] - actual[i]) > tolerance[0]) {
        assertArrayEquals(expected, actual, tolerance[0], what + " at " + i);
      }
    }
  }
}
