package org.parameternet.model.layers;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.util.List;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;

/**
 * One bias-free convolution of a {@link DnnlProgram}, a 1x1 or a kxk depthwise (padding k/2, stride
 * 1 or more), with its backward primitives in a training program. Its weights stay in DL4J's layout
 * in DL4J's parameter view and are reordered into the primitive's layout before each pass; the
 * gradient is reordered back into DL4J's gradient view.
 */
final class DnnlConv implements PlanConv {
  /** Channels in and out, depthwise or 1x1, the kernel and stride. */
  record Geometry(int in, int out, boolean depthwise, int kernel, int stride) {
    static Geometry pointwise(int in, int out) {
      return new Geometry(in, out, false, 1, 1);
    }

    static Geometry depthwise(int channels, int kernel, int stride) {
      return new Geometry(channels, channels, true, kernel, stride);
    }

    long[] weightDims() {
      return depthwise ? new long[] {in, 1, 1, kernel, kernel} : new long[] {out, in, 1, 1};
    }
  }

  private final DnnlProgram p;
  private final convolution_forward.primitive_desc fpd;
  private final convolution_backward_data.primitive_desc dpd;
  private final convolution_backward_weights.primitive_desc wpd;
  private final memory weights;
  private memory weightsForData;
  private memory diffWeights;

  /** The Java weight gradient, where oneDNN's would be its slow gemm one (else null). */
  private final DepthwiseWeightGradient javaWeightGradient;

  /** What the forward pass read, for the weight gradient. */
  private memory src;

  /** Where a conv of {@link #computedWeights} leaves its weight gradient (else null). */
  private memory kernelGradient;

  /** The batch norm after it as post-ops (inference only), or null. */
  private final DnnlFoldedNorm folded;

  private final boolean sum;

  /**
   * A conv of {@code geometry} from {@code srcMd} to {@code dstMd} (either may leave its layout to
   * oneDNN); with {@code sum} it adds to its destination.
   */
  DnnlConv(DnnlProgram p, Geometry geometry, memory.desc srcMd, memory.desc dstMd, boolean sum) {
    this(p, geometry, srcMd, dstMd, sum, null);
  }

  /** As above, then (after the sum) batch norm {@code folded} and its activation as post-ops. */
  DnnlConv(
      DnnlProgram p,
      Geometry geometry,
      memory.desc srcMd,
      memory.desc dstMd,
      boolean sum,
      DnnlFoldedNorm folded) {
    this.p = p;
    this.sum = sum;
    this.folded = folded;
    memory.desc wmd = p.desc(geometry.weightDims(), memory.format_tag.any);
    long[] strides = {geometry.stride(), geometry.stride()};
    long[] pad = {geometry.kernel() / 2, geometry.kernel() / 2};
    prop_kind kind = p.training ? prop_kind.forward_training : prop_kind.forward_inference;
    convolution_forward.desc fd =
        p.own(
            new convolution_forward.desc(
                kind, algorithm.convolution_direct, srcMd, wmd, dstMd, strides, pad, pad));
    primitive_attr attr = p.accumulating(sum);
    if (folded != null) {
      post_ops ops = p.own(sum ? attr.get_post_ops() : new post_ops());
      folded.append(ops);
      attr.set_post_ops(ops);
    }
    KernelPolicy.Work work =
        geometry.depthwise() ? KernelPolicy.Work.DEPTHWISE : KernelPolicy.Work.MULTIPLY_ADDS;
    long multiplyAdds =
        outputElements(srcMd, geometry)
            * (geometry.depthwise() ? geometry.kernel() * geometry.kernel() : geometry.in());
    fpd =
        p.build(work, multiplyAdds, () -> new convolution_forward.primitive_desc(fd, attr, p.eng));
    weights = p.scratch(fpd.weights_desc());
    if (!p.training) {
      dpd = null;
      wpd = null;
      javaWeightGradient = null;
      return;
    }
    memory.desc anySrc = p.following(srcMd);
    memory.desc anyDst = p.following(dstMd);
    convolution_backward_data.desc dd =
        p.own(
            new convolution_backward_data.desc(
                algorithm.convolution_direct, anySrc, wmd, anyDst, strides, pad, pad));
    primitive_attr plain = p.attr();
    dpd =
        p.build(
            work,
            multiplyAdds,
            () -> new convolution_backward_data.primitive_desc(dd, plain, p.eng, fpd));
    convolution_backward_weights.desc wd =
        p.own(
            new convolution_backward_weights.desc(
                algorithm.convolution_direct, anySrc, wmd, anyDst, strides, pad, pad));
    wpd =
        p.build(
            work,
            multiplyAdds,
            () -> new convolution_backward_weights.primitive_desc(wd, plain, p.eng, fpd));
    if (geometry.depthwise()
        && KernelPolicy.javaDepthwiseWeightGradient(wpd.impl_info_str().getString())) {
      javaWeightGradient =
          new DepthwiseWeightGradient(
              DnnlProgram.dims(fpd.src_desc()),
              DnnlProgram.dims(fpd.dst_desc()),
              geometry.kernel(),
              geometry.stride());
      diffWeights =
          p.scratch(DepthwiseWeightGradient.gradientDesc(p, geometry.in(), geometry.kernel()));
    } else {
      javaWeightGradient = null;
      diffWeights = p.scratch(wpd.diff_weights_desc());
    }
  }

  /** The output's elements: the input's batch and plane after the stride, {@code out} channels. */
  private static long outputElements(memory.desc srcMd, Geometry geometry) {
    long[] in = DnnlProgram.dims(srcMd);
    int pad = geometry.kernel() / 2;
    long height = (in[2] + 2 * pad - geometry.kernel()) / geometry.stride() + 1;
    long width = (in[3] + 2 * pad - geometry.kernel()) / geometry.stride() + 1;
    return in[0] * geometry.out() * height * width;
  }

  /** Whether its output is already batch-normalised and activated ({@link DnnlFoldedNorm}). */
  @Override
  public boolean foldsNorm() {
    return folded != null;
  }

  memory.desc dstDesc() {
    return fpd.dst_desc();
  }

  /** What the forward pass read (after {@link #forward}): the input in the primitive's layout. */
  @Override
  public memory source() {
    return src;
  }

  /**
   * The weights are DL4J's tensor {@code key} seen through {@code userMd} (a part of it, for the
   * two halves of ghost module 2's primary conv), their gradient {@code gradientKey}'s.
   */
  void userWeights(memory.desc userMd, String key, String gradientKey) {
    if (readWeights(p.bound(userMd, key), p.weightsIn)) {
      p.reorder(p.weightsOut, diffWeights, p.bound(userMd, gradientKey), false);
    }
  }

  /**
   * The weights are {@code kernels}, a buffer of the program that an earlier step of the forward
   * pass fills (call before {@link #forward}); the backward pass leaves their gradient in {@code
   * gradient} (null in inference). Both in any layout the reorders can read.
   */
  void computedWeights(memory kernels, memory gradient) {
    if (readWeights(kernels, p.forward)) {
      kernelGradient = gradient;
    }
  }

  /**
   * Appends to {@code steps} the reorders of {@code source} into the forward primitive's weights
   * and, in training, the backward-data primitive's (which may want another layout); whether the
   * program trains.
   */
  private boolean readWeights(memory source, List<DnnlProgram.Step> steps) {
    p.reorder(steps, source, weights, false);
    if (!p.training) {
      return false;
    }
    weightsForData = weights;
    if (!dpd.weights_desc().equals(fpd.weights_desc())) {
      weightsForData = p.scratch(dpd.weights_desc());
      p.reorder(steps, source, weightsForData, false);
    }
    return true;
  }

  @Override
  public memory forward(memory in, memory dst) {
    src = p.ensure(p.forward, in, fpd.src_desc());
    memory out = dst != null ? dst : p.scratch(fpd.dst_desc());
    IntMemoryMap args = p.args(DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, weights, DNNL_ARG_DST, out);
    if (folded != null) {
      folded.arguments(args, sum ? 1 : 0);
    }
    p.add(p.forward, fpd, convolution_forward::new, args);
    return out;
  }

  @Override
  public memory backward(memory diffDst) {
    memory dd;
    if (javaWeightGradient != null) {
      memory x = p.ensure(p.backward, src, nhwc(fpd.src_desc()));
      memory dy = p.ensure(p.backward, diffDst, nhwc(fpd.dst_desc()));
      DepthwiseWeightGradient gradient = javaWeightGradient;
      memory dw = diffWeights;
      p.java(p.backward, "depthwise weight gradient", s -> gradient.run(s, x, dy, dw));
      dd = dy;
    } else {
      dd = p.ensure(p.backward, diffDst, wpd.diff_dst_desc());
      memory s = p.ensure(p.backward, src, wpd.src_desc());
      p.add(
          p.backward,
          wpd,
          convolution_backward_weights::new,
          p.args(DNNL_ARG_SRC, s, DNNL_ARG_DIFF_DST, dd, DNNL_ARG_DIFF_WEIGHTS, diffWeights));
    }
    if (kernelGradient != null) {
      p.reorder(p.backward, diffWeights, kernelGradient, false);
    }
    // the weight gradient's copy of the output gradient serves here too when the layouts agree
    // (a folded dynamic conv's NCHW gradient, reordered to nChw16c once, not twice)
    memory ddData =
        dd.get_desc().equals(dpd.diff_dst_desc())
            ? dd
            : p.ensure(p.backward, diffDst, dpd.diff_dst_desc());
    memory diffSrc = p.scratch(dpd.diff_src_desc());
    p.add(
        p.backward,
        dpd,
        convolution_backward_data::new,
        p.args(
            DNNL_ARG_DIFF_DST,
            ddData,
            DNNL_ARG_WEIGHTS,
            weightsForData,
            DNNL_ARG_DIFF_SRC,
            diffSrc));
    return diffSrc;
  }

  private memory.desc nhwc(memory.desc d) {
    return p.desc(DnnlProgram.dims(d), memory.format_tag.nhwc);
  }
}
