package org.parameternet.model.onnx;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * An exported model checked before it is published: the same random images through the DL4J network
 * and through ONNX Runtime on the export, whose probabilities must agree.
 */
public final class OnnxRuntimeCheck {
  /** Largest max |DL4J - ONNX| / max |ONNX| of the probabilities accepted by the check. */
  public static final double TOLERANCE = 1e-3;

  private OnnxRuntimeCheck() {}

  /** How far apart the two were: max |DL4J - ONNX| / max |ONNX| on {@code images} images. */
  public record Agreement(int images, double error) {
    /** Throws unless the error is within {@link #TOLERANCE}: such an export is not written. */
    public void requireWithinTolerance() {
      if (error > TOLERANCE) {
        throw new IllegalStateException(
            "ONNX Runtime and DL4J disagree (" + error + " > " + TOLERANCE + "): not written");
      }
    }
  }

  /**
   * {@code batch} seeded random images of {@code resolution} through {@code net} and {@code model}.
   */
  public static Agreement compare(ComputationGraph net, byte[] model, int batch, int resolution) {
    Nd4j.getRandom().setSeed(0);
    INDArray images = Nd4j.randn(DataType.FLOAT, batch, 3, resolution, resolution);
    INDArray dl4j = net.outputSingle(false, images);
    INDArray onnx;
    try (OnnxRuntimeModel session = OnnxRuntimeModel.load(model, 1)) {
      onnx = session.probabilities(images);
    }
    double error =
        dl4j.sub(onnx).amaxNumber().doubleValue()
            / Math.max(onnx.amaxNumber().doubleValue(), 1e-12);
    return new Agreement(batch, error);
  }
}
