package org.parameternet.model.layers;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SCALE_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MEAN;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCALE_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;

import java.util.function.Supplier;
import org.bytedeco.dnnl.batch_normalization_backward;
import org.bytedeco.dnnl.batch_normalization_forward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.normalization_flags;
import org.bytedeco.dnnl.global.dnnl.prop_kind;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One batch norm of a {@link DnnlProgram} and its activation (identity, ReLU or hard-swish). Gamma
 * and beta are DL4J's adjacent views, read in place as oneDNN's [2, C] scale-shift, and their
 * gradients written in place the same way. Training normalises by the batch statistics, which stay
 * in the program for the caller's running-statistics step; inference reads DL4J's running mean and
 * variance in place.
 *
 * <p>The activation runs forward in oneDNN, on a flat view of the buffer (element-wise ops ignore
 * layout, and oneDNN keeps blocked padding at zero, which both activations map to zero); on the
 * padded blocked layouts oneDNN 2.5 otherwise picks its slow reference kernels. Its backward runs
 * in Java ({@link FusedBatchNorm#activationGradient}): oneDNN's hard-swish derivative is 0 at x =
 * -3 and 1 at x = 3 where PyTorch's (and this project's) is -1/2 and 3/2.
 */
final class DnnlNorm implements PlanNorm {
  private static final int CHUNK = 1 << 14;

  private final DnnlProgram p;
  private final int activation;
  private final batch_normalization_forward.primitive_desc fpd;
  private final batch_normalization_backward.primitive_desc bpd;
  private final eltwise_forward.primitive_desc afpd;
  private final memory.desc flat;
  private final memory scaleShift;
  private final memory mean;
  private final memory variance;

  private memory src;
  private memory norm;

  /**
   * A norm over {@code md} whose gamma, beta, mean and var are DL4J's {@code <prefix>gamma} etc.
   */
  DnnlNorm(DnnlProgram p, memory.desc md, int activation, String prefix) {
    this.p = p;
    this.activation = activation;
    float eps = (float) NativeBottleneck.EPS;
    int flags = normalization_flags.use_scale_shift.value;
    long elements = DnnlProgram.elements(md);
    primitive_attr attr = p.attr();
    if (p.training) {
      batch_normalization_forward.desc fd =
          p.own(
              new batch_normalization_forward.desc(
                  prop_kind.forward_training.value, md, eps, flags));
      fpd =
          norm(p, elements, () -> new batch_normalization_forward.primitive_desc(fd, attr, p.eng));
      batch_normalization_backward.desc bd =
          p.own(
              new batch_normalization_backward.desc(prop_kind.backward.value, md, md, eps, flags));
      bpd =
          norm(
              p,
              elements,
              () -> new batch_normalization_backward.primitive_desc(bd, attr, p.eng, fpd));
      mean = p.scratch(fpd.mean_desc());
      variance = p.scratch(fpd.variance_desc());
    } else {
      flags |= normalization_flags.use_global_stats.value;
      batch_normalization_forward.desc fd =
          p.own(
              new batch_normalization_forward.desc(
                  prop_kind.forward_inference.value, md, eps, flags));
      fpd =
          norm(p, elements, () -> new batch_normalization_forward.primitive_desc(fd, attr, p.eng));
      bpd = null;
      mean = p.bound(fpd.mean_desc(), prefix + "mean");
      variance = p.bound(fpd.variance_desc(), prefix + "var");
    }
    scaleShift = p.bound(fpd.weights_desc(), prefix + "gamma");
    long padded = fpd.dst_desc().get_size() / Float.BYTES;
    flat = p.desc(new long[] {padded}, memory.format_tag.a);
    afpd = activation == FusedBatchNorm.IDENTITY ? null : activationForward(p, activation);
  }

  private eltwise_forward.primitive_desc activationForward(DnnlProgram p, int activation) {
    algorithm kind =
        activation == FusedBatchNorm.RELU ? algorithm.eltwise_relu : algorithm.eltwise_hardswish;
    prop_kind prop = p.training ? prop_kind.forward_training : prop_kind.forward_inference;
    eltwise_forward.desc ad = p.own(new eltwise_forward.desc(prop, kind, flat, 0f, 0f));
    primitive_attr attr = p.attr();
    return p.build(
        KernelPolicy.Work.ELEMENTS,
        DnnlProgram.elements(flat),
        () -> new eltwise_forward.primitive_desc(ad, attr, p.eng));
  }

  /** {@code pd}'s batch norm primitive, made for the team size its map calls for. */
  private static <T extends primitive_desc_base> T norm(
      DnnlProgram p, long elements, Supplier<T> pd) {
    return p.build(KernelPolicy.Work.NORM, elements, pd);
  }

  @Override
  public memory.desc dstDesc() {
    return fpd.dst_desc();
  }

  /** The same buffer seen flat. */
  private memory flat(memory m) {
    return p.own(new memory(flat, p.eng, m.get_data_handle()));
  }

  @Override
  public memory forward(memory in) {
    src = p.ensure(p.forward, in, fpd.src_desc());
    norm = p.scratch(fpd.dst_desc());
    p.add(
        p.forward,
        fpd,
        batch_normalization_forward::new,
        p.args(
            DNNL_ARG_SRC, src,
            DNNL_ARG_SCALE_SHIFT, scaleShift,
            DNNL_ARG_DST, norm,
            DNNL_ARG_MEAN, mean,
            DNNL_ARG_VARIANCE, variance));
    if (afpd == null) {
      return norm;
    }
    memory act = p.scratch(fpd.dst_desc());
    p.add(
        p.forward,
        afpd,
        eltwise_forward::new,
        p.args(DNNL_ARG_SRC, flat(norm), DNNL_ARG_DST, flat(act)));
    return act;
  }

  @Override
  public memory backward(memory diffAct, String gradientKey) {
    memory d = p.ensure(p.backward, diffAct, fpd.dst_desc());
    if (afpd != null) {
      memory z = norm;
      p.java(p.backward, "activation gradient", s -> activationGradient(s, z, d));
    }
    memory dd = p.ensure(p.backward, d, bpd.diff_dst_desc());
    memory diffSrc = p.scratch(bpd.diff_src_desc());
    p.add(
        p.backward,
        bpd,
        batch_normalization_backward::new,
        p.args(
            DNNL_ARG_SRC, src,
            DNNL_ARG_MEAN, mean,
            DNNL_ARG_VARIANCE, variance,
            DNNL_ARG_DIFF_DST, dd,
            DNNL_ARG_SCALE_SHIFT, scaleShift,
            DNNL_ARG_DIFF_SRC, diffSrc,
            DNNL_ARG_DIFF_SCALE_SHIFT, p.bound(bpd.diff_weights_desc(), gradientKey)));
    return diffSrc;
  }

  /** {@code g *= activation'(z)} over the whole (flat) buffers, in chunks over the cores. */
  private void activationGradient(org.bytedeco.dnnl.stream s, memory z, memory g) {
    s._wait();
    long count = flat.get_size() / Float.BYTES;
    FloatPointer zs = new FloatPointer(z.get_data_handle()).capacity(count);
    FloatPointer gs = new FloatPointer(g.get_data_handle()).capacity(count);
    int chunks = (int) ((count + CHUNK - 1) / CHUNK);
    PlaneWork.forEachChannel(
        chunks,
        count,
        i -> {
          long start = (long) i * CHUNK;
          int length = (int) Math.min(CHUNK, count - start);
          float[] zv = PlaneWork.scratch(0, length);
          float[] gv = PlaneWork.scratch(1, length);
          new FloatPointer(zs).position(start).get(zv, 0, length);
          FloatPointer gAt = new FloatPointer(gs).position(start);
          gAt.get(gv, 0, length);
          FusedBatchNorm.activationGradient(zv, gv, length, 1f, 0f, activation);
          gAt.put(gv, 0, length);
        });
  }

  @Override
  public float[] batchMean() {
    return DnnlProgram.read(mean);
  }

  @Override
  public float[] batchVariance() {
    return DnnlProgram.read(variance);
  }
}
