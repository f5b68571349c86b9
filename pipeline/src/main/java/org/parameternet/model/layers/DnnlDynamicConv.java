package org.parameternet.model.layers;

import static org.parameternet.model.layers.BottleneckPlan.gradient;

import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;
import org.parameternet.model.layers.DnnlConv.Geometry;

/**
 * A dynamic convolution ({@link DynamicConv}'s, ParameterNet's) inside a {@link BottleneckPlan},
 * NCHW in and out: routing {@code alpha = sigmoid(pool(x) RW + Rb)} per sample, each sample's
 * kernel {@code K[b] = sum_m alpha[b,m] W_m}, and the conv of each sample with its own kernel. The
 * parameters are DL4J's views of the unfused {@link DynamicConv}'s {@code W} [M, |K|], {@code RW}
 * [C_in, M] and {@code Rb} [1, M], read and written in place.
 *
 * <p>All but the routing linear's gradient are oneDNN primitives over the buffers as they lie. The
 * pool is a matmul of x as [B*C, HW] with a 1/HW vector; routing is one matmul with bias and a
 * logistic post-op; the mix, one matmul of alpha with the experts. A 1x1 conv is a batched matmul
 * {@code y[b] = K[b] x[b]} (as {@link DnnlDynamicPointwise}); a depthwise conv reads [B, C, H, W]
 * as [1, B*C, H, W] and runs one grouped conv whose B*C groups take the B kernels, which is exactly
 * the [B, C, 1, k, k] the mix writes. Backward: each sample's kernel gradient {@code dK} (a matmul,
 * or the grouped conv's weight gradient), the experts' {@code alpha^T dK} and the routing's {@code
 * dK W^T} (matmuls), the routing linear's few values in Java, and the pool's share of the input
 * gradient added over the plane (a broadcasting binary add). Where the norms that write the input
 * can ({@link #poolBy}), they do the pool and that add instead, as they write and read the planes;
 * so does a squeeze-excite.
 */
final class DnnlDynamicConv implements PlanConv {
  private final DnnlProgram p;
  private final Geometry geometry;
  private final int experts;
  private final long[] inDims;
  private final long[] outDims;
  private final String expertsKey;
  private final String routingWeightKey;
  private final String routingBiasKey;

  /** The grouped conv of a depthwise kernel over the folded batch (null for 1x1). */
  private final DnnlConv folded;

  private final memory pooled;
  private final memory alpha;
  private final memory kernels;
  private final memory kernelGradient;
  private final memory alphaGradient;
  private final memory pooledGradient;

  /** The NCHW input the forward pass read. */
  private memory src;

  /**
   * Whether the norms that write the input pool it and add the pool's gradient ({@link #poolBy}).
   */
  private boolean pooledByProducers;

  /**
   * A dynamic conv of {@code geometry} with {@code experts} experts, from NCHW {@code inDims},
   * whose parameters are DL4J's {@code <prefix>W}, {@code <prefix>RW} and {@code <prefix>Rb}.
   */
  DnnlDynamicConv(DnnlProgram p, Geometry geometry, int experts, long[] inDims, String prefix) {
    this.p = p;
    this.geometry = geometry;
    this.experts = experts;
    this.inDims = inDims.clone();
    int pad = geometry.kernel() / 2;
    long outH = (inDims[2] + 2 * pad - geometry.kernel()) / geometry.stride() + 1;
    long outW = (inDims[3] + 2 * pad - geometry.kernel()) / geometry.stride() + 1;
    outDims = new long[] {inDims[0], geometry.out(), outH, outW};
    expertsKey = prefix + "W";
    routingWeightKey = prefix + "RW";
    routingBiasKey = prefix + "Rb";
    long batch = inDims[0];
    pooled = p.scratch(plain(batch, geometry.in()));
    alpha = p.scratch(plain(batch, experts));
    kernels = p.scratch(plain(batch, kernelLength()));
    kernelGradient = p.training ? p.scratch(plain(batch, kernelLength())) : null;
    alphaGradient = p.training ? p.scratch(plain(batch, experts)) : null;
    pooledGradient = p.training ? p.scratch(plain(batch, geometry.in())) : null;
    if (geometry.depthwise()) {
      Geometry groups =
          Geometry.depthwise(
              Math.toIntExact(batch * geometry.in()), geometry.kernel(), geometry.stride());
      folded =
          new DnnlConv(
              p, groups, anyLayout(foldedDims(inDims)), anyLayout(foldedDims(outDims)), false);
    } else {
      folded = null;
    }
  }

  /** One sample's kernel: C_out x C_in (1x1) or C x k x k (depthwise). */
  private long kernelLength() {
    return geometry.depthwise()
        ? (long) geometry.in() * geometry.kernel() * geometry.kernel()
        : (long) geometry.out() * geometry.in();
  }

  private static long[] foldedDims(long[] dims) {
    return new long[] {1, dims[0] * dims[1], dims[2], dims[3]};
  }

  private memory.desc plain(long rows, long cols) {
    return p.desc(new long[] {rows, cols}, memory.format_tag.ab);
  }

  private memory.desc anyLayout(long[] dims) {
    return p.desc(dims, memory.format_tag.any);
  }

  private memory.desc nchw(long[] dims) {
    return p.desc(dims, memory.format_tag.nchw);
  }

  /**
   * Hands the routing pool to {@code producers}, the steps (norms, a squeeze-excite) whose outputs
   * are this conv's input channels in order ({@link RoutingPoolSource#poolInto}): they write each
   * plane's mean as they write the plane, and add the pool's gradient to each plane of their output
   * gradient as they read it, so this conv neither reads its input for the pool nor adds the
   * broadcast gradient to its input gradient, which then leaves out that share (every consumer of
   * it is one of the producers). Only if every producer can; before {@link #forward}.
   */
  void poolBy(List<? extends RoutingPoolSource> producers) {
    if (producers.isEmpty() || !producers.stream().allMatch(RoutingPoolSource::pools)) {
      return;
    }
    long total = producers.stream().mapToLong(n -> DnnlProgram.dims(n.dstDesc())[1]).sum();
    if (total != geometry.in()) {
      throw new IllegalArgumentException(
          "steps of " + total + " channels cannot pool a conv of " + geometry.in());
    }
    int offset = 0;
    for (RoutingPoolSource n : producers) {
      n.poolInto(pooled, pooledGradient, offset, geometry.in());
      offset += Math.toIntExact(DnnlProgram.dims(n.dstDesc())[1]);
    }
    pooledByProducers = true;
  }

  @Override
  public memory source() {
    return src;
  }

  @Override
  public memory forward(memory input, memory dst) {
    if (dst != null) {
      throw new IllegalArgumentException("a dynamic conv does not add to a destination");
    }
    src = p.ensure(p.forward, input, nchw(inDims));
    route();
    if (folded != null) {
      // the kernels' reorder into the conv's layout follows the mix that writes them
      long groups = inDims[0] * geometry.in();
      long[] perGroupDims = {groups, 1, 1, geometry.kernel(), geometry.kernel()};
      memory.desc perGroup = p.desc(perGroupDims, memory.format_tag.goihw);
      folded.computedWeights(
          p.view(kernels, perGroup), p.training ? p.view(kernelGradient, perGroup) : null);
      memory out = folded.forward(p.alias(src, nchw(foldedDims(inDims))), null);
      memory plainOut = p.ensure(p.forward, out, nchw(foldedDims(outDims)));
      return p.alias(plainOut, nchw(outDims));
    }
    long batch = inDims[0];
    long in = geometry.in();
    long out = geometry.out();
    long plane = inDims[2] * inDims[3];
    memory y = p.scratch(nchw(outDims));
    p.matmul(
        p.forward,
        p.view(kernels, p.strided(batch, out, in, out * in, in, 1)),
        p.alias(src, p.strided(batch, in, plane, in * plane, plane, 1)),
        null,
        p.view(y, p.strided(batch, out, plane, out * plane, plane, 1)),
        p.attr());
    return y;
  }

  /** Pool, routing and the mix of each sample's kernel, appended to the forward pass. */
  private void route() {
    if (!pooledByProducers) {
      pool();
    }
    p.matmul(
        p.forward,
        pooled,
        p.bound(plain(geometry.in(), experts), routingWeightKey),
        p.bound(plain(1, experts), routingBiasKey),
        alpha,
        p.withEltwise(algorithm.eltwise_logistic));
    p.matmul(
        p.forward,
        alpha,
        p.bound(plain(experts, kernelLength()), expertsKey),
        null,
        kernels,
        p.attr());
  }

  /** The routing's pool of the input: a matmul of it as [B*C, HW] with a 1/HW vector. */
  private void pool() {
    long rows = inDims[0] * inDims[1];
    long plane = inDims[2] * inDims[3];
    memory ones = p.scratch(plain(plane, 1));
    float[] mean = new float[(int) plane];
    Arrays.fill(mean, 1f / plane);
    DnnlProgram.write(mean, ones);
    p.matmul(
        p.forward,
        p.alias(src, plain(rows, plane)),
        ones,
        null,
        p.view(pooled, plain(rows, 1)),
        p.attr());
  }

  @Override
  public memory backward(memory diffDst) {
    memory dy = p.ensure(p.backward, diffDst, nchw(outDims));
    memory dx = folded != null ? foldedBackward(dy) : pointwiseBackward(dy);
    long batch = inDims[0];
    long length = kernelLength();
    p.matmul(
        p.backward,
        p.view(alpha, p.strided(new long[] {experts, batch}, new long[] {1, experts})),
        kernelGradient,
        null,
        p.bound(plain(experts, length), gradient(expertsKey)),
        p.attr());
    p.matmul(
        p.backward,
        kernelGradient,
        p.bound(p.strided(new long[] {length, experts}, new long[] {1, length}), expertsKey),
        null,
        alphaGradient,
        p.attr());
    RoutingGradient routing = new RoutingGradient();
    p.java(p.backward, "routing gradient", s -> routing.run());
    if (!pooledByProducers) {
      long[] pooledDims = {batch, geometry.in(), 1, 1};
      p.binary(p.backward, algorithm.binary_add, dx, p.view(pooledGradient, nchw(pooledDims)), dx);
    }
    return dx;
  }

  private memory foldedBackward(memory dy) {
    memory dxFolded = folded.backward(p.alias(dy, nchw(foldedDims(outDims))));
    memory plainDx = p.ensure(p.backward, dxFolded, nchw(foldedDims(inDims)));
    return p.alias(plainDx, nchw(inDims));
  }

  /**
   * {@code dK[b] = dy[b] x[b]^T} (the transpose as strides) and the input gradient ({@link
   * DynamicInputGradient}).
   */
  private memory pointwiseBackward(memory dy) {
    long batch = inDims[0];
    long in = geometry.in();
    long out = geometry.out();
    long plane = inDims[2] * inDims[3];
    p.matmul(
        p.backward,
        p.alias(dy, p.strided(batch, out, plane, out * plane, plane, 1)),
        p.alias(src, p.strided(batch, plane, in, in * plane, 1, plane)),
        null,
        p.view(kernelGradient, p.strided(batch, out, in, out * in, in, 1)),
        p.attr());
    memory dx = p.scratch(nchw(inDims));
    DynamicInputGradient.append(
        p, p.backward, kernels, dy, dx, new DynamicInputGradient.Shape(batch, in, out, plane));
    return dx;
  }

  /**
   * The routing linear's gradient from {@code dalpha}: {@code dlogit = dalpha a (1 - a)}, {@code
   * dRb = sum_b dlogit}, {@code dRW = pooled^T dlogit}, and the pool's input gradient {@code dlogit
   * RW^T / HW}. B x M values: Java, on arrays kept between calls.
   */
  private final class RoutingGradient {
    private final int batch = (int) inDims[0];
    private final int in = geometry.in();
    private final float[] a = new float[batch * experts];
    private final float[] da = new float[batch * experts];
    private final float[] x = new float[batch * in];
    private final float[] rw = new float[in * experts];
    private final float[] dRw = new float[in * experts];
    private final float[] dRb = new float[experts];
    private final float[] dx = new float[batch * in];
    private final memory routingWeight = p.bound(plain(geometry.in(), experts), routingWeightKey);
    private final memory routingWeightGradient =
        p.bound(plain(geometry.in(), experts), gradient(routingWeightKey));
    private final memory routingBiasGradient = p.bound(plain(1, experts), gradient(routingBiasKey));

    void run() {
      get(alpha, a);
      get(alphaGradient, da);
      get(pooled, x);
      get(routingWeight, rw);
      float perValue = 1f / (inDims[2] * inDims[3]);
      Arrays.fill(dRw, 0);
      Arrays.fill(dRb, 0);
      for (int b = 0; b < batch; b++) {
        for (int m = 0; m < experts; m++) {
          int i = b * experts + m;
          da[i] *= a[i] * (1 - a[i]);
          dRb[m] += da[i];
        }
        for (int c = 0; c < in; c++) {
          float xc = x[b * in + c];
          float sum = 0;
          for (int m = 0; m < experts; m++) {
            float g = da[b * experts + m];
            dRw[c * experts + m] += xc * g;
            sum += g * rw[c * experts + m];
          }
          dx[b * in + c] = sum * perValue;
        }
      }
      put(dRw, routingWeightGradient);
      put(dRb, routingBiasGradient);
      put(dx, pooledGradient);
    }

    private void get(memory m, float[] values) {
      new FloatPointer(m.get_data_handle()).capacity(values.length).get(values);
    }

    private void put(float[] values, memory m) {
      new FloatPointer(m.get_data_handle()).capacity(values.length).put(values);
    }
  }
}
