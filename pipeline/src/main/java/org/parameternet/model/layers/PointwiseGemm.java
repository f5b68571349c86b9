package org.parameternet.model.layers;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A 1x1 convolution on NCHW arrays as one matrix product per sample: {@code out[b] = W x[b]} with
 * {@code x[b]} the sample's {@code C_in x HW} matrix, and backward {@code dx[b] = W^T dy[b]},
 * {@code dW = sum_b dy[b] x[b]^T}, each a BLAS sgemm on the arrays as they lie. DL4J's oneDNN
 * convolution reorders input, output and both gradients to a blocked layout and back on every call.
 * Measured per layer (fwd + bwd, batch 32, 2 threads, GhostNet-300M's shapes): 16->16 on 112x112 12
 * ms against DL4J's 31, 36->52 on 56x56 12 against 35, 60->88 on 28x28 6 against 9; on 14x14 (7
 * against 6) and 7x7 (4 against 3) oneDNN's reorders cost less than the per-sample calls, hence
 * {@link #MIN_PLANE}.
 */
final class PointwiseGemm {
  static final long MIN_PLANE = 28 * 28;

  private PointwiseGemm() {}

  /**
   * Whether {@code conf} on {@code input} is a plain 1x1 conv this path computes: stride 1, no
   * padding, on planes of at least {@link #MIN_PLANE}, and {@link #plain}.
   */
  static boolean applies(ConvolutionLayer conf, INDArray input, DataType dataType) {
    int[] k = conf.getKernelSize();
    int[] stride = conf.getStride();
    int[] pad = conf.getPadding();
    return plain(conf, input, dataType)
        && input.size(2) * input.size(3) >= MIN_PLANE
        && k[0] == 1
        && k[1] == 1
        && stride[0] == 1
        && stride[1] == 1
        && pad[0] == 0
        && pad[1] == 0;
  }

  /**
   * A conv without what these paths leave out: square kernel, stride and padding, no dilation or
   * bias, identity activation, no dropout or weight noise, explicit padding with DL4J's truncating
   * output size (Strict would refuse geometries that do not divide), float32 NCHW.
   */
  static boolean plain(ConvolutionLayer conf, INDArray input, DataType dataType) {
    int[] k = conf.getKernelSize();
    int[] stride = conf.getStride();
    int[] pad = conf.getPadding();
    int[] dilation = conf.getDilation();
    return dataType == DataType.FLOAT
        && input.rank() == 4
        && k[0] == k[1]
        && stride[0] == stride[1]
        && pad[0] == pad[1]
        && dilation[0] == 1
        && dilation[1] == 1
        && !conf.hasBias()
        && conf.getCnn2dDataFormat() == CNN2DFormat.NCHW
        && conf.getConvolutionMode() == ConvolutionMode.Truncate
        && conf.getWeightNoise() == null
        && conf.getIDropout() == null
        && conf.getActivationFn() instanceof ActivationIdentity;
  }

  /** The output [B, C_out, H, W], in the activations workspace. */
  static INDArray forward(INDArray input, INDArray weights, LayerWorkspaceMgr mgr) {
    INDArray x = samples(input);
    INDArray w = matrix(weights);
    long batch = x.size(0);
    INDArray out =
        mgr.createUninitialized(
            ArrayType.ACTIVATIONS,
            DataType.FLOAT,
            new long[] {batch, w.size(0), input.size(2), input.size(3)},
            'c');
    INDArray out3 = out.reshape('c', true, batch, w.size(0), x.size(2));
    for (int b = 0; b < batch; b++) {
      Nd4j.gemm(w, x.slice(b), out3.slice(b), false, false, 1.0, 0.0);
    }
    return out;
  }

  /**
   * The input gradient [B, C_in, H, W] (in the activation-gradients workspace); the weights'
   * gradient is written into {@code weightGrad} (DL4J's gradient view, [C_out, C_in, 1, 1]).
   */
  static INDArray backward(
      INDArray input,
      INDArray weights,
      INDArray epsilon,
      INDArray weightGrad,
      LayerWorkspaceMgr mgr) {
    INDArray x = samples(input);
    INDArray w = matrix(weights);
    INDArray dy = samples(epsilon);
    INDArray dw = matrix(weightGrad);
    long batch = x.size(0);
    INDArray inputGrad =
        mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
    INDArray dx = inputGrad.reshape('c', true, batch, x.size(1), x.size(2));
    for (int b = 0; b < batch; b++) {
      INDArray gradient = dy.slice(b);
      Nd4j.gemm(w, gradient, dx.slice(b), true, false, 1.0, 0.0);
      Nd4j.gemm(gradient, x.slice(b), dw, false, true, 1.0, b == 0 ? 0.0 : 1.0);
    }
    return inputGrad;
  }

  /** [B, C, H, W] as [B, C, HW], contiguous (a channel slice of a concatenation is copied). */
  private static INDArray samples(INDArray a) {
    INDArray c = a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT);
    if (c.ordering() != 'c' || !Shape.hasDefaultStridesForShape(c)) {
      c = c.dup('c');
    }
    return c.reshape('c', c.size(0), c.size(1), c.size(2) * c.size(3));
  }

  /** DL4J's [C_out, C_in, 1, 1] weights (or their gradient view) as a [C_out, C_in] view. */
  private static INDArray matrix(INDArray weights) {
    long[] stride = weights.stride();
    if (weights.ordering() != 'c' || stride[1] != 1 || stride[0] != weights.size(1)) {
      throw new IllegalStateException(
          "1x1 conv weights are not a contiguous view: " + weights.shapeInfoToString());
    }
    return weights.reshape('c', true, weights.size(0), weights.size(1)); // a view: gemm writes it
  }
}
