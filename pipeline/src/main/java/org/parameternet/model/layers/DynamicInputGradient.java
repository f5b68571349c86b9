package org.parameternet.model.layers;

import java.util.List;
import org.bytedeco.dnnl.memory;

/**
 * The input gradient of a dynamic 1x1 conv, {@code dx[b] = K[b]^T dy[b]} for each sample, as oneDNN
 * steps over NCHW buffers, one of two ways ({@link KernelPolicy#dynamicInputGradientByPlanes}):
 * from the kernel's side, one batched matmul whose source is each kernel transposed through
 * strides; or from the planes' side, {@code dx[b]^T = dy[b]^T K[b]}, the output gradient transposed
 * into a dense [B, HW, C_out] first, a batched matmul with the kernels as they lie, and its dense
 * [B, HW, C_in] product transposed into {@code dx} after. oneDNN's brgemm matmul ran the first at
 * about half the speed of a plain source where planes are small ([116, 1392] on 7x7: 5.6 against
 * 2.4 ms a call in parameternet_300m's profile), and the second's transposes are then smaller than
 * the kernels. (The product written straight into {@code dx} through strides ran on a slow kernel:
 * a parameternet_300m step took 22 s, not 1.1.) Shared by the native blocks ({@link
 * DnnlDynamicConv}) and the unfused layer's {@link DnnlDynamicPointwise}.
 */
final class DynamicInputGradient {
  private DynamicInputGradient() {}

  /** The conv: batch, channels in and out, and the plane's size (H x W). */
  record Shape(long batch, long in, long out, long plane) {}

  /**
   * Appends to {@code steps} {@code dx = K^T dy} over {@code kernels} ([B, C_out x C_in]), {@code
   * dy} ([B, C_out, HW]) and {@code dx} ([B, C_in, HW]), each any memory over its buffer; returns
   * whether oneDNN has an {@link DnnlProgram#optimised} implementation of every step.
   */
  static boolean append(
      DnnlProgram p,
      List<DnnlProgram.Step> steps,
      memory kernels,
      memory dy,
      memory dx,
      Shape shape) {
    long batch = shape.batch();
    long in = shape.in();
    long out = shape.out();
    long plane = shape.plane();
    if (!KernelPolicy.dynamicInputGradientByPlanes(plane, in, out)) {
      return p.matmul(
          steps,
          p.alias(kernels, p.strided(batch, in, out, out * in, 1, in)),
          p.alias(dy, p.strided(batch, out, plane, out * plane, plane, 1)),
          null,
          p.alias(dx, p.strided(batch, in, plane, in * plane, plane, 1)),
          p.attr());
    }
    memory dyRows = p.scratch(p.desc(new long[] {batch, plane, out}, memory.format_tag.abc));
    boolean optimised =
        p.reorder(
            steps, p.alias(dy, p.strided(batch, plane, out, out * plane, 1, plane)), dyRows, false);
    memory dxRows = p.scratch(p.desc(new long[] {batch, plane, in}, memory.format_tag.abc));
    optimised &=
        p.matmul(
            steps,
            dyRows,
            p.alias(kernels, p.strided(batch, out, in, out * in, in, 1)),
            null,
            dxRows,
            p.attr());
    optimised &=
        p.reorder(
            steps, dxRows, p.alias(dx, p.strided(batch, plane, in, in * plane, 1, plane)), false);
    return optimised;
  }
}
