package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The kernels' one width decision: as asked, never wider than the CPU's, never below 256 bits. */
class VectorKernelsTest {
  @Test
  void widthFollowsTheRequestWithinTheCpusVectors() {
    assertEquals(512, VectorKernels.chooseBits("preferred", 512));
    assertEquals(256, VectorKernels.chooseBits("preferred", 256));
    assertEquals(256, VectorKernels.chooseBits("256", 512));
    assertEquals(512, VectorKernels.chooseBits(" 512 ", 512));
    assertEquals(256, VectorKernels.chooseBits("512", 256), "an AVX2 CPU keeps 256");
    assertEquals(512, VectorKernels.chooseBits("PREFERRED", 1024), "at most 512");
    assertThrows(IllegalArgumentException.class, () -> VectorKernels.chooseBits("128", 512));
    assertThrows(IllegalArgumentException.class, () -> VectorKernels.chooseBits("wide", 512));
  }

  @Test
  void thisJvmRunsTheRequestedWidth() {
    String requested = System.getProperty(VectorKernels.BITS_PROPERTY, "256");
    assertEquals(
        VectorKernels.chooseBits(requested, VectorProbe.preferredBits()), VectorKernels.bits());
  }

  @Test
  void kernelsAndShapesAgreeOnTheLanes() {
    assertEquals(VectorKernels.bits() / Float.SIZE, VectorWidth.LANES);
    assertEquals(VectorWidth.LANES, DepthwiseShape.LANES);
    assertEquals(0, new DepthwiseShape(9, 9, 3, 2, 1).flat % VectorWidth.LANES);
  }
}
