package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parameternet.model.layers.BottleneckPlan.Shape;

/**
 * ParameterNet bottleneck plans with the dynamic convs' routing pools handed to the norms that
 * write their inputs ({@code -Dpnet.native.routing-pool=norm}, the default) against each conv
 * pooling itself ({@code onednn}): the first has one pool matmul fewer forward and one broadcast
 * add fewer backward for each conv whose input only {@link PlanarNorm}s or the squeeze-excite
 * write. That is ghost module 1's cheap conv, ghost module 2's primary conv over the concat or the
 * SE's output (not over a strided block's reduced map, which oneDNN's norm writes), its cheap conv
 * and the shortcut's 1x1 conv; not the convs that read the block's input. Whether the results stay
 * those of the unfused layers is NativeBottleneckTest's (the default) and PlanarNormTest's.
 */
class RoutingPoolTest {
  @AfterEach
  void restore() {
    System.clearProperty(KernelPolicy.NATIVE_ROUTING_POOL);
  }

  @ParameterizedTest(name = "in {0}, mid {1}, out {2}, stride {3}, SE {4}: {5} pools taken")
  @CsvSource({
    "8, 16, 8, 1, 0, 3",
    "8, 16, 12, 1, 0, 4",
    "8, 16, 12, 2, 0, 3",
    "8, 16, 8, 1, 4, 3",
    "8, 16, 12, 1, 4, 4",
    "8, 16, 12, 2, 4, 4"
  })
  void theNormsTakeThePoolsOfTheConvsTheyFeed(
      int in, int mid, int out, int stride, int se, int taken) {
    Shape shape = new Shape(2, in, mid, out, 6, 6, 3, stride, se, 4);
    int[] own = primitives(shape, "onednn");
    int[] byNorms = primitives(shape, "norm");
    assertEquals(own[0] - taken, byNorms[0], "matmuls forward");
    assertEquals(own[1] - taken, byNorms[1], "binary ops backward");
    assertEquals(own[2], byNorms[2], "matmuls backward");
  }

  /** Forward matmuls, backward binary ops and backward matmuls of the training plan. */
  private static int[] primitives(Shape shape, String setting) {
    System.setProperty(KernelPolicy.NATIVE_ROUTING_POOL, setting);
    try (BottleneckPlan plan = new BottleneckPlan(shape, FusedBatchNorm.RELU, true, false)) {
      DnnlProgram p = plan.program();
      return new int[] {
        p.primitivesOf(p.forward, "matmul"),
        p.primitivesOf(p.backward, "binary"),
        p.primitivesOf(p.backward, "matmul")
      };
    }
  }
}
