package org.parameternet.model.layers;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.BaseLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * The runtime of {@link NativeBottleneck}: the whole bottleneck in one oneDNN {@link
 * BottleneckPlan}, built once per input shape and mode and kept (the last {@link #PLANS}), reading
 * DL4J's parameter views and writing its gradient views in place. Float32 NCHW only: the builder
 * uses this layer for float networks alone (double-precision gradient checks keep the unfused
 * layers).
 *
 * <p>The running statistics move as in {@link BatchNormActivationLayer}: their "gradient" is DL4J's
 * step {@code (1 - decay)(running - batch)}, the batch variance unbiased (PyTorch's rule).
 */
public class NativeBottleneckLayer extends BaseLayer<NativeBottleneck> {
  /** Plans kept per layer: training and inference at the training batch, and one odd batch. */
  private static final int PLANS = 3;

  private final Map<String, BottleneckPlan> plans = new LinkedHashMap<>(4, 0.75f, true);

  /** The plan of the last training forward pass, for its backprop. */
  private BottleneckPlan trained;

  public NativeBottleneckLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    if (dataType != DataType.FLOAT) {
      throw new IllegalStateException(layerId() + ": float32 networks only, got " + dataType);
    }
    input = contiguous(input);
    BottleneckPlan.Shape shape = shape();
    long[] outShape = {shape.batch(), shape.out(), shape.outHeight(), shape.outWidth()};
    INDArray out =
        workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, outShape, 'c');
    BottleneckPlan plan = plan(shape, training);
    Map<String, Pointer> buffers = parameterBuffers();
    buffers.put(BottleneckPlan.X, address(input));
    buffers.put(BottleneckPlan.OUT, address(out));
    plan.forward(buffers);
    trained = training ? plan : null;
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(true);
    if (trained == null) {
      throw new IllegalStateException(layerId() + ": backprop without a training forward pass");
    }
    INDArray eps = contiguous(epsilon);
    INDArray dx =
        workspaceMgr.createUninitialized(
            ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
    Map<String, Pointer> buffers = parameterBuffers();
    for (Map.Entry<String, INDArray> e : gradientViews.entrySet()) {
      buffers.put(BottleneckPlan.gradient(e.getKey()), address(e.getValue()));
    }
    buffers.put(BottleneckPlan.X, address(input));
    buffers.put(BottleneckPlan.D_OUT, address(eps));
    buffers.put(BottleneckPlan.DX, address(dx));
    trained.backward(buffers);
    runningStatisticSteps(trained);
    trained = null;

    Gradient gradient = new DefaultGradient();
    for (String key : NativeBottleneckParams.INSTANCE.paramKeys(layerConf())) {
      gradient.setGradientFor(key, gradientViews.get(key));
    }
    return new Pair<>(gradient, dx);
  }

  /** The block over the current input. */
  private BottleneckPlan.Shape shape() {
    NativeBottleneck conf = layerConf();
    if (input.rank() != 4 || input.size(1) != conf.getNIn()) {
      throw new IllegalArgumentException(
          layerId()
              + ": input "
              + input.shapeInfoToString()
              + ", expected NCHW of "
              + conf.getNIn());
    }
    return new BottleneckPlan.Shape(
        (int) input.size(0),
        (int) conf.getNIn(),
        conf.getMid(),
        (int) conf.getNOut(),
        (int) input.size(2),
        (int) input.size(3),
        conf.getKernel(),
        conf.getStride(),
        conf.getSeReduced(),
        conf.getExperts());
  }

  /** The cached plan for {@code shape} and {@code training}, built when missing. */
  private BottleneckPlan plan(BottleneckPlan.Shape shape, boolean training) {
    NativeBottleneck conf = layerConf();
    String key = shape + "/" + training;
    BottleneckPlan plan = plans.get(key);
    if (plan == null) {
      // a dynamic block's convs run on NCHW (DnnlDynamicConv); its static parts stay NHWC
      boolean blocked =
          !shape.dynamic() && KernelPolicy.nativeBlockedLayout(conf.getMid(), shape.height());
      plan = new BottleneckPlan(shape, conf.activationKind(), training, blocked);
      plans.put(key, plan);
      evictBeyond(PLANS);
    }
    return plan;
  }

  private void evictBeyond(int keep) {
    Iterator<BottleneckPlan> it = plans.values().iterator();
    while (plans.size() > keep && it.hasNext()) {
      BottleneckPlan oldest = it.next();
      if (oldest != trained) {
        oldest.close();
        it.remove();
      }
    }
  }

  private Map<String, Pointer> parameterBuffers() {
    Map<String, Pointer> buffers = new HashMap<>();
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      buffers.put(e.getKey(), address(e.getValue()));
    }
    return buffers;
  }

  /** {@code array} as dense float32 in C order, copied only when it is not already. */
  private static INDArray contiguous(INDArray array) {
    if (array.dataType() == DataType.FLOAT
        && array.ordering() == 'c'
        && Shape.hasDefaultStridesForShape(array)) {
      return array;
    }
    return array.castTo(DataType.FLOAT).dup('c');
  }

  /** The address of a contiguous array's first element (a view's data pointer is offset). */
  private static Pointer address(INDArray array) {
    return array.data().addressPointer();
  }

  /**
   * DL4J's running-statistics "gradients", {@code (1-d)(running - batch)}, per norm; a norm's count
   * is its map's batch x plane, which the stride makes differ within the block.
   */
  private void runningStatisticSteps(BottleneckPlan plan) {
    double keep = 1 - NativeBottleneck.DECAY;
    for (String unit : plan.normUnits()) {
      long count = plan.valuesPerChannel(unit);
      double unbias = count > 1 ? count / (count - 1.0) : 1;
      float[][] batch = plan.batchStatistics(unit);
      step(NativeBottleneckParams.norm(unit, "mean"), batch[0], 1, keep);
      step(NativeBottleneckParams.norm(unit, "var"), batch[1], unbias, keep);
    }
  }

  private void step(String key, float[] batch, double scale, double keep) {
    INDArray running = params.get(key);
    INDArray step = gradientViews.get(key);
    for (int c = 0; c < batch.length; c++) {
      step.putScalar(c, keep * (running.getDouble(c) - batch[c] * scale));
    }
  }

  /** Running-statistics steps are not gradients: DL4J must not average them over the batch. */
  @Override
  public boolean updaterDivideByMinibatch(String paramName) {
    return !NativeBottleneckParams.isRunningStatistic(paramName);
  }

  @Override
  public void clear() {
    super.clear();
    trained = null;
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
