package org.parameternet.model.layers;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.memory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A dynamic 1x1 convolution, stride 1, float32 NCHW, as three oneDNN batched matmuls over the
 * arrays as they lie: forward {@code y[b] = K[b] x[b]}, the kernels' gradient {@code dK[b] = dy[b]
 * x[b]^T} and the input gradient {@code dx[b] = K[b]^T dy[b] + g[b] 1^T} ({@link
 * DynamicInputGradient}'s, either way), where {@code g} is the routing's share of the input
 * gradient (through the average pool), added by oneDNN's binary op (jit; 5x libnd4j's broadcast add
 * on a 36x56x56 map, batch 32). The transposes are strides, not copies, except where the input
 * gradient is taken from the planes' side on small planes. oneDNN 2.5 has no optimised matmul with
 * that add as a binary post-op: it fell to {@code ref:any}, 1.9 s against 1.7 ms for the dx matmul
 * at 36x72 on 56x56. libnd4j's batched matmul (which {@link DynamicConvLayer} runs otherwise) took
 * 2.5-5x as long on ParameterNet's shapes, batch 32-64, 2 threads: 72x36 on 56x56, forward 10.4 ms
 * against 3.4, dK 9.3 against 2.7, dx 6.6 against 1.9; 120x80 on 2x2, batch 64: 0.38 against 0.12,
 * 0.31 against 0.07, 0.46 against 0.18. One instance per layer and shape (batch, plane), built
 * once.
 */
final class DnnlDynamicPointwise implements AutoCloseable {
  static final String X = "x";
  static final String KERNELS = "kernels";
  static final String OUT = "out";
  static final String DELTA = "delta";
  static final String KERNEL_GRAD = "kernelGrad";
  static final String INPUT_GRAD = "inputGrad";
  static final String POOLED_GRAD = "pooledGrad";

  private final DnnlProgram p = new DnnlProgram(true, false);
  private final List<DnnlProgram.Step> forward = new ArrayList<>();
  private final List<DnnlProgram.Step> kernelGradient = new ArrayList<>();
  private final List<DnnlProgram.Step> inputGradient = new ArrayList<>();

  /**
   * Whether every primitive has an optimised implementation: a reference one (oneDNN's {@code
   * ref:any}) is slower than libnd4j's path, and then the layer keeps that.
   */
  final boolean optimised;

  DnnlDynamicPointwise(long batch, long in, long out, long plane) {
    long[] kernels = {batch, out, in};
    long[] kernelStrides = {out * in, in, 1};
    long[] xDims = {batch, in, plane};
    long[] xStrides = {in * plane, plane, 1};
    long[] yDims = {batch, out, plane};
    long[] yStrides = {out * plane, plane, 1};
    memory.desc k = p.strided(kernels, kernelStrides);
    memory.desc x = p.strided(xDims, xStrides);
    memory.desc y = p.strided(yDims, yStrides);
    // the transposed view x^T [B, plane, in]
    memory.desc xt = p.strided(new long[] {batch, plane, in}, new long[] {in * plane, 1, plane});
    memory.desc pooled = p.strided(new long[] {batch, in, 1}, new long[] {in, 1, 1});

    boolean jit = matmul(forward, k, x, y, KERNELS, X, OUT);
    jit &= matmul(kernelGradient, y, xt, k, DELTA, X, KERNEL_GRAD);
    memory dx = p.bound(x, INPUT_GRAD);
    jit &=
        DynamicInputGradient.append(
            p,
            inputGradient,
            p.bound(k, KERNELS),
            p.bound(y, DELTA),
            dx,
            new DynamicInputGradient.Shape(batch, in, out, plane));
    jit &= p.binary(inputGradient, algorithm.binary_add, dx, p.bound(pooled, POOLED_GRAD), dx);
    optimised = jit;
  }

  private boolean matmul(
      List<DnnlProgram.Step> steps,
      memory.desc src,
      memory.desc weights,
      memory.desc dst,
      String srcKey,
      String weightsKey,
      String dstKey) {
    return p.matmul(
        steps,
        p.bound(src, srcKey),
        p.bound(weights, weightsKey),
        null,
        p.bound(dst, dstKey),
        p.attr());
  }

  /**
   * {@code out = K x}: {@code kernels} [B, C_out x C_in], x [B, C_in, H, W], out [B, C_out, H, W].
   */
  void forward(INDArray kernels, INDArray x, INDArray out) {
    p.bind(KERNELS, kernels.data().addressPointer());
    p.bind(X, x.data().addressPointer());
    p.bind(OUT, out.data().addressPointer());
    p.run(forward);
  }

  /** {@code kernelGrad[b] = delta[b] x[b]^T}. */
  void kernelGradient(INDArray delta, INDArray x, INDArray kernelGrad) {
    p.bind(DELTA, delta.data().addressPointer());
    p.bind(X, x.data().addressPointer());
    p.bind(KERNEL_GRAD, kernelGrad.data().addressPointer());
    p.run(kernelGradient);
  }

  /** {@code inputGrad[b] = K[b]^T delta[b] + pooledGrad[b]} (pooledGrad [B, C_in], broadcast). */
  void inputGradient(INDArray kernels, INDArray delta, INDArray pooledGrad, INDArray inputGrad) {
    p.bind(KERNELS, kernels.data().addressPointer());
    p.bind(DELTA, delta.data().addressPointer());
    p.bind(POOLED_GRAD, pooledGrad.data().addressPointer());
    p.bind(INPUT_GRAD, inputGrad.data().addressPointer());
    p.run(inputGradient);
  }

  @Override
  public void close() {
    p.close();
  }
}
