package org.parameternet.model.layers;

import static org.parameternet.model.layers.DynamicConvParamInitializer.EXPERTS_KEY;
import static org.parameternet.model.layers.DynamicConvParamInitializer.ROUTING_BIAS_KEY;
import static org.parameternet.model.layers.DynamicConvParamInitializer.ROUTING_WEIGHT_KEY;

import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Forward and backward pass of {@link DynamicConv}. A training forward pass keeps its pooled input,
 * routing and fused kernels (B x |W| floats) in the activations workspace for the backward pass of
 * the same input, which would otherwise pool the input and fuse the kernels again.
 */
public class DynamicConvLayer extends BaseLayer<DynamicConv> {

  public DynamicConvLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  /** Per-sample routing inputs, weights and fused kernels (B, |W|). */
  private record Routing(INDArray pooled, INDArray alpha, INDArray kernels) {}

  /** Geometry of one call. */
  private record Geometry(long batch, long height, long width, long outHeight, long outWidth) {}

  /**
   * The routing of the last training forward pass and the input it was computed from: the backward
   * pass of that input reuses it instead of pooling the input and fusing the kernels again. Its
   * arrays live in the activations workspace, which stays open until backprop has run.
   */
  private Routing forwardRouting;

  private INDArray routedInput;

  private Routing route(INDArray x) {
    return route(x, (type, shape) -> Nd4j.createUninitialized(type, shape));
  }

  private interface Allocator {
    INDArray create(DataType type, long... shape);
  }

  /** How many times this layer pooled its input and fused kernels (tests: once per step). */
  long routings;

  private Routing route(INDArray x, Allocator allocate) {
    routings++;
    INDArray pooled = pool(x, allocate);
    // Nd4j.matmul writes C-order results in place; mmul computes F-order and copies, one more op
    // per conv, which is what batch-1 latency is made of.
    INDArray routingWeight = getParam(ROUTING_WEIGHT_KEY);
    INDArray alpha =
        Nd4j.matmul(
            pooled, routingWeight, allocate.create(dataType, x.size(0), routingWeight.size(1)));
    Transforms.sigmoid(alpha.addiRowVector(getParam(ROUTING_BIAS_KEY)), false);
    INDArray experts = getParam(EXPERTS_KEY);
    INDArray kernels =
        Nd4j.matmul(alpha, experts, allocate.create(dataType, alpha.size(0), experts.size(1)));
    return new Routing(pooled, alpha, kernels);
  }

  /**
   * The global average pool of contiguous {@code x} [B, C, H, W] as [B, C]: one matrix-vector
   * product of x as a (B*C) x HW matrix with ones / HW. libnd4j's mean over the last two axes took
   * 4.5% of a ParameterNet-300M step; BLAS reads x once at memory speed.
   */
  private INDArray pool(INDArray x, Allocator allocate) {
    long rows = x.size(0) * x.size(1);
    long plane = x.size(2) * x.size(3);
    INDArray pooled = allocate.create(dataType, x.size(0), x.size(1));
    INDArray weights = allocate.create(dataType, plane, 1).assign(1.0 / plane);
    Nd4j.gemm(
        x.reshape('c', rows, plane),
        weights,
        pooled.reshape('c', true, rows, 1),
        false,
        false,
        1.0,
        0.0);
    return pooled;
  }

  private Geometry shapeOf(INDArray x) {
    DynamicConv c = layerConf();
    if (x.rank() != 4 || x.size(1) != c.getNIn()) {
      throw new IllegalArgumentException(
          "DynamicConv "
              + layerId()
              + ": expected input [batch, "
              + c.getNIn()
              + ", height, width], got "
              + Arrays.toString(x.shape()));
    }
    return new Geometry(
        x.size(0), x.size(2), x.size(3), c.outputSize(x.size(2)), c.outputSize(x.size(3)));
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    applyDropOutIfNecessary(training, workspaceMgr);
    INDArray x = contiguous(input.castTo(dataType));
    Geometry s = shapeOf(x);
    DynamicConv c = layerConf();
    Routing routing = forwardRouting(x, training, workspaceMgr);
    INDArray out =
        workspaceMgr.createUninitialized(
            ArrayType.ACTIVATIONS,
            dataType,
            new long[] {s.batch(), c.getNOut(), s.outHeight(), s.outWidth()},
            'c');
    switch (c.form()) {
      case POINTWISE -> {
        DnnlDynamicPointwise matmul = dnnlPointwise(x, s);
        if (matmul != null) {
          matmul.forward(routing.kernels(), x, out);
        } else {
          Nd4j.matmul(
              pointwiseKernels(routing.kernels(), s),
              pointwiseInput(x, s),
              out.reshape('c', s.batch(), c.getNOut(), s.outHeight() * s.outWidth()));
        }
      }
      case DEPTHWISE -> depthwiseForward(x, routing, out);
      case GENERAL -> generalForward(x, routing, s, out);
    }
    return out;
  }

  /**
   * The routing of {@code x}. In training it is allocated in the activations workspace and kept for
   * the backward pass of the same input; in inference it is not kept, so a later backward pass
   * cannot pick up a routing of another input.
   */
  private Routing forwardRouting(INDArray x, boolean training, LayerWorkspaceMgr workspaceMgr) {
    if (!training) {
      Routing routing = route(x);
      forwardRouting = null;
      routedInput = null;
      return routing;
    }
    Routing routing =
        route(
            x,
            (type, shape) ->
                workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, type, shape, 'c'));
    forwardRouting = routing;
    routedInput = input;
    return routing;
  }

  /** The SIMD plane kernels where they are faster, else libnd4j's op with the batch folded in. */
  private void depthwiseForward(INDArray x, Routing routing, INDArray out) {
    DynamicConv c = layerConf();
    DepthwiseShape simd = simdShape(x);
    if (simd != null) {
      DepthwisePlanes.forward(
          ChannelPlanes.of(x).orElseThrow(),
          DepthwisePlanes.floats(routing.kernels()),
          DepthwisePlanes.perSample((int) c.getNIn(), simd.taps()),
          simd,
          ChannelPlanes.of(out).orElseThrow());
    } else {
      Nd4j.exec(
          depthwiseOp(
              "depthwise_conv2d",
              new INDArray[] {foldBatch(x), depthwiseKernels(routing.kernels())},
              new INDArray[] {foldBatch(out)}));
    }
  }

  /** The plane kernels for the stem, else im2col and a per-sample, per-group batched matmul. */
  private void generalForward(INDArray x, Routing routing, Geometry s, INDArray out) {
    DepthwiseShape plane = planeShape(x);
    if (plane != null) {
      PlaneConvolution.forward(
          ChannelPlanes.of(x).orElseThrow(),
          planeKernels(routing.kernels()),
          plane,
          ChannelPlanes.of(out).orElseThrow());
    } else {
      Nd4j.matmul(
          groupedKernels(routing.kernels(), s),
          groupedColumns(im2col(x, s), s),
          groupedOutput(out, s));
    }
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(true);
    INDArray x = contiguous(input.castTo(dataType));
    INDArray delta = contiguous(epsilon.castTo(dataType));
    Geometry s = shapeOf(x);
    DynamicConv c = layerConf();
    Routing routing = input == routedInput && forwardRouting != null ? forwardRouting : route(x);
    forwardRouting = null;
    routedInput = null;
    INDArray inputGrad =
        workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, x.shape(), 'c');
    INDArray kernelGrad = Nd4j.createUninitialized(dataType, s.batch(), c.kernelParams());

    DnnlDynamicPointwise matmul =
        c.form() == DynamicConv.Form.POINTWISE ? dnnlPointwise(x, s) : null;
    if (matmul != null) {
      // the kernels' gradient, the routing's, then the input gradient with the pooled share added
      matmul.kernelGradient(delta, x, kernelGrad);
      RoutingGradient r = routingBackward(routing, kernelGrad, s);
      matmul.inputGradient(routing.kernels(), delta, contiguous(r.pooledGrad()), inputGrad);
      return new Pair<>(r.gradient(), backpropDropOutIfPresent(inputGrad));
    }
    switch (c.form()) {
      case POINTWISE -> pointwiseBackward(x, delta, routing, s, inputGrad, kernelGrad);
      case DEPTHWISE -> depthwiseBackward(x, delta, routing, s, inputGrad, kernelGrad);
      case GENERAL -> generalBackward(x, delta, routing, s, inputGrad, kernelGrad);
    }
    RoutingGradient r = routingBackward(routing, kernelGrad, s);
    inputGrad.addi(r.pooledGrad().reshape('c', s.batch(), c.getNIn(), 1, 1), inputGrad);
    return new Pair<>(r.gradient(), backpropDropOutIfPresent(inputGrad));
  }

  /** How many passes ran on oneDNN's batched matmuls ({@link DnnlDynamicPointwise}; tests). */
  long dnnlPasses;

  /** The oneDNN matmuls of this layer for x's batch and plane, built once: at most a few shapes. */
  private final Map<Long, DnnlDynamicPointwise> matmuls = new LinkedHashMap<>(4, 0.75f, true);

  private static final int MATMUL_SHAPES = 4;

  /**
   * The oneDNN matmuls for a 1x1 conv on {@code x} when {@link KernelPolicy#dnnlDynamicPointwise}
   * allows them and oneDNN has optimised implementations of them, else null (libnd4j's batched
   * matmul runs).
   */
  private DnnlDynamicPointwise dnnlPointwise(INDArray x, Geometry s) {
    DynamicConv c = layerConf();
    if (!KernelPolicy.dnnlDynamicPointwise(c.getStride(), x.dataType())) {
      return null;
    }
    long plane = s.height() * s.width();
    long key = s.batch() * (1L << 32) + plane;
    DnnlDynamicPointwise matmul = matmuls.get(key);
    if (matmul == null) {
      matmul = new DnnlDynamicPointwise(s.batch(), c.getNIn(), c.getNOut(), plane);
      matmuls.put(key, matmul);
      Iterator<DnnlDynamicPointwise> it = matmuls.values().iterator();
      while (matmuls.size() > MATMUL_SHAPES) {
        it.next().close();
        it.remove();
      }
    }
    if (!matmul.optimised) {
      return null;
    }
    dnnlPasses++;
    return matmul;
  }

  /** Writes the input gradient and the per-sample kernels' gradient of a 1x1 conv. */
  private void pointwiseBackward(
      INDArray x,
      INDArray delta,
      Routing routing,
      Geometry s,
      INDArray inputGrad,
      INDArray kernelGrad) {
    DynamicConv c = layerConf();
    INDArray delta3 = delta.reshape('c', s.batch(), c.getNOut(), s.outHeight() * s.outWidth());
    INDArray kernels = pointwiseKernels(routing.kernels(), s);
    Nd4j.matmul(delta3, pointwiseInput(x, s), pointwiseKernels(kernelGrad, s), false, true, false);
    if (c.getStride() == 1) {
      Nd4j.matmul(
          kernels,
          delta3,
          inputGrad.reshape('c', s.batch(), c.getNIn(), s.height() * s.width()),
          true,
          false,
          false);
    } else {
      INDArray strided = Nd4j.matmul(kernels, delta3, true, false, false);
      inputGrad.assign(0);
      inputGrad
          .get(strideIndex(s))
          .assign(strided.reshape('c', s.batch(), c.getNIn(), s.outHeight(), s.outWidth()));
    }
  }

  /** As {@link #pointwiseBackward}, on the same path as {@link #depthwiseForward}. */
  private void depthwiseBackward(
      INDArray x,
      INDArray delta,
      Routing routing,
      Geometry s,
      INDArray inputGrad,
      INDArray kernelGrad) {
    DynamicConv c = layerConf();
    DepthwiseShape simd = simdShape(x);
    if (simd != null) {
      float[] grads = new float[(int) kernelGrad.length()];
      DepthwisePlanes.backward(
          ChannelPlanes.of(x).orElseThrow(),
          ChannelPlanes.of(delta).orElseThrow(),
          DepthwisePlanes.floats(routing.kernels()),
          DepthwisePlanes.perSample((int) c.getNIn(), simd.taps()),
          simd,
          ChannelPlanes.of(inputGrad).orElseThrow(),
          grads);
      DepthwisePlanes.write(grads, kernelGrad);
      return;
    }
    INDArray foldedKernelGrad =
        Nd4j.createUninitialized(
            dataType, c.getKernelSize(), c.getKernelSize(), s.batch() * c.getNIn(), 1);
    Nd4j.exec(
        depthwiseOp(
            "depthwise_conv2d_bp",
            new INDArray[] {foldBatch(x), depthwiseKernels(routing.kernels()), foldBatch(delta)},
            new INDArray[] {foldBatch(inputGrad), foldedKernelGrad}));
    kernelGrad.assign(
        foldedKernelGrad
            .reshape('c', c.getKernelSize() * c.getKernelSize(), s.batch() * c.getNIn())
            .transpose()
            .reshape('c', s.batch(), c.kernelParams()));
  }

  /** As {@link #pointwiseBackward}, on the same path as {@link #generalForward}. */
  private void generalBackward(
      INDArray x,
      INDArray delta,
      Routing routing,
      Geometry s,
      INDArray inputGrad,
      INDArray kernelGrad) {
    DynamicConv c = layerConf();
    DepthwiseShape plane = planeShape(x);
    if (plane != null) {
      float[] grads =
          PlaneConvolution.backward(
              ChannelPlanes.of(x).orElseThrow(),
              ChannelPlanes.of(delta).orElseThrow(),
              planeKernels(routing.kernels()),
              plane,
              ChannelPlanes.of(inputGrad).orElseThrow());
      DepthwisePlanes.write(grads, kernelGrad);
      return;
    }
    INDArray delta3 = groupedOutput(delta, s);
    INDArray columns = groupedColumns(im2col(x, s), s);
    Nd4j.matmul(delta3, columns, groupedKernels(kernelGrad, s), false, true, false);
    INDArray columnGrad =
        Nd4j.matmul(groupedKernels(routing.kernels(), s), delta3, true, false, false);
    int k = c.getKernelSize();
    Convolution.col2im(
        columnGrad.reshape('c', s.batch(), c.getNIn(), k, k, s.outHeight(), s.outWidth()),
        inputGrad,
        c.getStride(),
        c.getStride(),
        c.getPadding(),
        c.getPadding(),
        (int) s.height(),
        (int) s.width(),
        1,
        1);
  }

  /**
   * The parameters' gradients, from the kernels' gradient through the fusion W'(b) = sum_i
   * alpha_i(b) W_i and the routing alpha = sigmoid(pool(x) Wr + br), and the routing's share of the
   * input gradient through the pool, per sample and channel (the caller adds it).
   */
  private RoutingGradient routingBackward(Routing routing, INDArray kernelGrad, Geometry s) {
    DynamicConv c = layerConf();
    INDArray experts = getParam(EXPERTS_KEY);
    INDArray routingWeight = getParam(ROUTING_WEIGHT_KEY);
    INDArray expertsGrad = gradientViews.get(EXPERTS_KEY);
    INDArray routingWeightGrad = gradientViews.get(ROUTING_WEIGHT_KEY);
    INDArray routingBiasGrad = gradientViews.get(ROUTING_BIAS_KEY);
    Nd4j.gemm(routing.alpha(), kernelGrad, expertsGrad, true, false, 1.0, 0.0);
    INDArray alpha = routing.alpha();
    INDArray pooledGrad;
    if (KernelPolicy.javaRoutingBackward(dataType)) {
      javaRoutingPasses++;
      INDArray logits = Nd4j.createUninitialized(dataType, s.batch(), alpha.size(1));
      Nd4j.gemm(kernelGrad, experts, logits, false, true, 1.0, 0.0);
      pooledGrad = routingTail(routing, logits, s, routingWeightGrad, routingBiasGrad);
    } else {
      INDArray logitGrad =
          Nd4j.gemm(kernelGrad, experts, false, true).muli(alpha).muli(alpha.rsub(1.0));
      Nd4j.gemm(routing.pooled(), logitGrad, routingWeightGrad, true, false, 1.0, 0.0);
      routingBiasGrad.assign(logitGrad.sum(true, 0));
      pooledGrad = Nd4j.gemm(logitGrad, routingWeight, false, true).divi(s.height() * s.width());
    }

    Gradient gradient = new DefaultGradient();
    gradient.setGradientFor(EXPERTS_KEY, expertsGrad);
    gradient.setGradientFor(ROUTING_WEIGHT_KEY, routingWeightGrad);
    gradient.setGradientFor(ROUTING_BIAS_KEY, routingBiasGrad);
    return new RoutingGradient(gradient, pooledGrad);
  }

  /** How many routing backward passes ran their small tail in Java (tests). */
  long javaRoutingPasses;

  /**
   * The routing's backward pass after the logits' gradient through the fusion, {@code logits} [B,
   * M] = kernelGrad experts^T, on Java arrays: these are B x M and B x C_in values, where each of
   * the six ND4J ops it replaces (sigmoid's derivative, two products, a sum, a division) cost more
   * in its call than in its arithmetic. Writes the routing weight's and bias's gradients; returns
   * the pooled input's [B, C_in].
   */
  private INDArray routingTail(
      Routing routing,
      INDArray logits,
      Geometry s,
      INDArray routingWeightGrad,
      INDArray routingBiasGrad) {
    int batch = (int) s.batch();
    int m = (int) logits.size(1);
    int in = (int) layerConf().getNIn();
    float[] g = DepthwisePlanes.floats(logits);
    float[] a = DepthwisePlanes.floats(routing.alpha());
    for (int i = 0; i < g.length; i++) {
      g[i] = g[i] * a[i] * (1f - a[i]); // sigmoid's derivative, in ND4J's order
    }
    float[] pooled = DepthwisePlanes.floats(routing.pooled());
    float[] routingWeight = DepthwisePlanes.floats(getParam(ROUTING_WEIGHT_KEY));
    float[] weightGrad = new float[in * m];
    float[] biasGrad = new float[m];
    float[] pooledGrad = new float[batch * in];
    float plane = (float) (s.height() * s.width());
    for (int b = 0; b < batch; b++) {
      int gb = b * m;
      for (int j = 0; j < m; j++) {
        biasGrad[j] += g[gb + j];
      }
      for (int c = 0; c < in; c++) {
        float p = pooled[b * in + c];
        float sum = 0;
        int row = c * m;
        for (int j = 0; j < m; j++) {
          weightGrad[row + j] += p * g[gb + j];
          sum += g[gb + j] * routingWeight[row + j];
        }
        pooledGrad[b * in + c] = sum / plane;
      }
    }
    DepthwisePlanes.write(weightGrad, routingWeightGrad);
    // a [1, M] view, which ND4J does not call default-strided: written through its buffer
    ChannelPlanes.floats(routingBiasGrad, m).put(0, biasGrad);
    INDArray result = Nd4j.createUninitialized(dataType, batch, in);
    DepthwisePlanes.write(pooledGrad, result);
    return result;
  }

  /** The parameters' gradients and the pooled input's [B, C_in] (to add to the input gradient). */
  private record RoutingGradient(Gradient gradient, INDArray pooledGrad) {}

  /** How many depthwise passes ran on the SIMD plane kernels (tests: they did). */
  long simdPasses;

  /**
   * The geometry for the SIMD plane kernels ({@link PlaneDepthwise}) when the JVM has them, the
   * input is float32 and the planes are large enough for them to be faster, else null: libnd4j's
   * depthwise op with the batch folded into channels runs.
   */
  private DepthwiseShape simdShape(INDArray x) {
    DynamicConv c = layerConf();
    if (x.dataType() != DataType.FLOAT
        || !KernelPolicy.planeDepthwise((int) x.size(2), (int) x.size(3), c.getStride(), true)) {
      return null;
    }
    simdPasses++;
    return new DepthwiseShape(
        (int) x.size(2), (int) x.size(3), c.getKernelSize(), c.getStride(), c.getPadding());
  }

  /**
   * The geometry for {@link PlaneConvolution} (the stem: groups 1, few input channels, a kernel
   * larger than 1) when the JVM has the SIMD kernels and the input is float32, else null.
   */
  private DepthwiseShape planeShape(INDArray x) {
    DynamicConv c = layerConf();
    if (x.dataType() != DataType.FLOAT
        || c.getGroups() != 1
        || !KernelPolicy.planeConvolution(c.getNIn(), c.getKernelSize())) {
      return null;
    }
    simdPasses++;
    return new DepthwiseShape(
        (int) x.size(2), (int) x.size(3), c.getKernelSize(), c.getStride(), c.getPadding());
  }

  /** The per-sample fused kernels [B, C_out x C_in x k x k] for {@link PlaneConvolution}. */
  private PlaneConvolution.Kernels planeKernels(INDArray kernels) {
    DynamicConv c = layerConf();
    int k = c.getKernelSize();
    return new PlaneConvolution.Kernels(
        DepthwisePlanes.floats(kernels), (int) c.getNOut(), (int) c.getNIn(), k * k, true);
  }

  private static INDArray contiguous(INDArray a) {
    return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a) ? a : a.dup('c');
  }

  private INDArray pointwiseKernels(INDArray kernels, Geometry s) {
    return kernels.reshape('c', s.batch(), layerConf().getNOut(), layerConf().getNIn());
  }

  private INDArray pointwiseInput(INDArray x, Geometry s) {
    INDArray sampled = layerConf().getStride() == 1 ? x : x.get(strideIndex(s)).dup('c');
    return sampled.reshape('c', s.batch(), layerConf().getNIn(), s.outHeight() * s.outWidth());
  }

  private INDArrayIndex[] strideIndex(Geometry s) {
    int stride = layerConf().getStride();
    return new INDArrayIndex[] {
      NDArrayIndex.all(),
      NDArrayIndex.all(),
      NDArrayIndex.interval(0, stride, s.height()),
      NDArrayIndex.interval(0, stride, s.width())
    };
  }

  /** (B, C, H, W) viewed as (1, B*C, H, W): one depthwise conv applies every sample's kernels. */
  private static INDArray foldBatch(INDArray a) {
    return a.reshape('c', 1, a.size(0) * a.size(1), a.size(2), a.size(3));
  }

  /** (B, C*k*k) copied once into depthwise weights [k, k, B*C, 1] (depthwise_conv2d format 0). */
  private INDArray depthwiseKernels(INDArray kernels) {
    int k = layerConf().getKernelSize();
    long folded = kernels.size(0) * layerConf().getNIn();
    return kernels.reshape('c', folded, k * k).transpose().dup('c').reshape('c', k, k, folded, 1);
  }

  private DynamicCustomOp depthwiseOp(String name, INDArray[] inputs, INDArray[] outputs) {
    DynamicConv c = layerConf();
    return DynamicCustomOp.builder(name)
        .addInputs(inputs)
        .addOutputs(outputs)
        .addIntegerArguments(
            c.getKernelSize(),
            c.getKernelSize(),
            c.getStride(),
            c.getStride(),
            c.getPadding(),
            c.getPadding(),
            1,
            1,
            0, // explicit padding
            0, // NCHW
            0) // weights [kH, kW, iC, mC]
        .callInplace(false)
        .build();
  }

  private INDArray im2col(INDArray x, Geometry s) {
    DynamicConv c = layerConf();
    int k = c.getKernelSize();
    INDArray columns =
        Nd4j.createUninitialized(
            dataType, s.batch(), c.getNIn(), k, k, s.outHeight(), s.outWidth());
    Convolution.im2col(
        x,
        k,
        k,
        c.getStride(),
        c.getStride(),
        c.getPadding(),
        c.getPadding(),
        1,
        1,
        false,
        columns);
    return columns;
  }

  private INDArray groupedColumns(INDArray columns, Geometry s) {
    DynamicConv c = layerConf();
    long g = c.getGroups();
    return columns.reshape(
        'c',
        s.batch() * g,
        c.getNIn() / g * c.getKernelSize() * c.getKernelSize(),
        s.outHeight() * s.outWidth());
  }

  private INDArray groupedKernels(INDArray kernels, Geometry s) {
    DynamicConv c = layerConf();
    long g = c.getGroups();
    return kernels.reshape(
        'c',
        s.batch() * g,
        c.getNOut() / g,
        c.getNIn() / g * c.getKernelSize() * c.getKernelSize());
  }

  private INDArray groupedOutput(INDArray out, Geometry s) {
    long g = layerConf().getGroups();
    return out.reshape('c', s.batch() * g, layerConf().getNOut() / g, s.outHeight() * s.outWidth());
  }

  @Override
  public boolean isPretrainLayer() {
    return false;
  }

  @Override
  public Type type() {
    return Type.CONVOLUTIONAL;
  }
}
