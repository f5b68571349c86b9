package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  private static PlanNorm laneNorm(DnnlProgram p, memory.desc md, int activation) {
    return new LaneNorm(p, md, LaneLayout.of(p, md), activation, "n.");
  }

  private record Result(
      float[] out, float[] dx, float[] gammaBetaGradient, float[] mean, float[] variance) {}

  private static Result run(
      long[] dims, boolean training, Function<DnnlProgram, Function<memory.desc, PlanNorm>> make) {
    try (DnnlProgram p = new DnnlProgram(training, false)) {
      memory.desc md = p.desc(dims, memory.format_tag.nchw);
      PlanNorm norm = make.apply(p).apply(md);
      memory x = p.bound(md, "x");
      memory out = norm.forward(x);
      memory dx = training ? norm.backward(p.bound(md, "d"), "g") : null;
      int size = (int) (md.get_size() / Float.BYTES);
      int channels = (int) dims[1];
      Random random = new Random(7);
      FloatPointer xs = filled(size, () -> (float) (random.nextGaussian() * 2 + 0.5));
      FloatPointer ds = filled(size, () -> (float) random.nextGaussian());
      FloatPointer gammaBeta = filled(2 * channels, () -> (float) (random.nextGaussian() + 0.5));
      FloatPointer mean = filled(channels, () -> (float) random.nextGaussian());
      FloatPointer variance = filled(channels, () -> (float) (random.nextDouble() + 0.2));
      FloatPointer gradient = new FloatPointer(2L * channels);
      p.bind("x", xs);
      p.bind("d", ds);
      p.bind("n.gamma", gammaBeta);
      p.bind("n.mean", mean);
      p.bind("n.var", variance);
      p.bind("g", gradient);
      p.run(p.forward);
      float[] output = DnnlProgram.read(out);
      if (!training) {
        return new Result(output, null, null, null, null);
      }
      p.run(p.backward);
      float[] gammaBetaGradient = new float[2 * channels];
      gradient.get(gammaBetaGradient);
      return new Result(
          output, DnnlProgram.read(dx), gammaBetaGradient, norm.batchMean(), norm.batchVariance());
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
