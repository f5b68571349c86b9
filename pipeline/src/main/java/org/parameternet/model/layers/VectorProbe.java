package org.parameternet.model.layers;

import jdk.incubator.vector.FloatVector;

/**
 * The CPU's widest vectors for {@link VectorKernels}: only loaded when the Vector API is present.
 */
final class VectorProbe {
  private VectorProbe() {}

  /** The widest vectors this CPU runs natively, in bits. */
  static int preferredBits() {
    return FloatVector.SPECIES_PREFERRED.vectorBitSize();
  }
}
