package org.parameternet.model.layers;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The species every SIMD kernel computes in, {@link VectorKernels#bits()} wide. A static final
 * field, so C2 compiles the kernels for that one width. Only loaded when {@link
 * VectorKernels#available()}.
 */
final class VectorWidth {
  static final VectorSpecies<Float> SPECIES =
      VectorSpecies.of(float.class, VectorShape.forBitSize(VectorKernels.bits()));

  /** Floats in one vector. */
  static final int LANES = SPECIES.length();

  private VectorWidth() {}
}
