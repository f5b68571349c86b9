package org.parameternet.model.layers;

import java.util.Arrays;
import java.util.Optional;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The runtime of {@link BatchNormActivation}. A float32 NCHW input with identity, ReLU or
 * hard-swish runs {@link FusedBatchNorm}'s kernels (two passes each way); anything else runs DL4J's
 * batch norm (oneDNN where helpers are on), then the activation, and backprop the activation's
 * derivative, then the norm's.
 */
public class BatchNormActivationLayer extends BatchNormalization {
  /** The norm's output of the last training forward pass: the activation's backprop needs it. */
  private INDArray normalized;

  /** The batch statistics of the last fused training forward pass, for its backprop. */
  private FusedState fused;

  public BatchNormActivationLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  private IActivation activation() {
    return layerConf().getActivationFn();
  }

  private boolean hasActivation() {
    IActivation fn = activation();
    return fn != null && !(fn instanceof ActivationIdentity);
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    fused = null;
    int kind = fusedKind();
    Optional<ChannelPlanes> x = kind < 0 ? Optional.empty() : ChannelPlanes.of(input);
    if (x.isPresent()) {
      INDArray out =
          workspaceMgr.createUninitialized(
              ArrayType.ACTIVATIONS, DataType.FLOAT, input.shape(), 'c');
      ChannelPlanes planes = x.get();
      FusedState state = training ? batchState(planes) : runningState();
      FusedBatchNorm.normalize(planes, state.scale, state.shift, kind, ChannelPlanes.of(out).get());
      fused = training ? state : null;
      return out;
    }
    INDArray norm = super.activate(training, workspaceMgr);
    if (!hasActivation()) {
      return norm;
    }
    if (!training) {
      return activation().getActivation(norm, false);
    }
    normalized = norm;
    INDArray out =
        workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, norm.dataType(), norm.shape(), 'c');
    return activation().getActivation(out.assign(norm), true);
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(
      INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    if (fused != null) {
      FusedState state = fused;
      fused = null;
      return fusedBackprop(state, epsilon, workspaceMgr);
    }
    INDArray normGradient = epsilon;
    if (hasActivation()) {
      if (normalized == null) {
        throw new IllegalStateException(layerId() + ": backprop without a training forward pass");
      }
      // IActivation.backprop overwrites its input with dL/dz: the stored norm output is not
      // needed again.
      normGradient = activation().backprop(normalized, epsilon).getFirst();
      normalized = null;
    }
    Pair<Gradient, INDArray> result = super.backpropGradient(normGradient, workspaceMgr);
    useUnbiasedBatchVariance(epsilon);
    return result;
  }

  /**
   * DL4J moves the running variance by the "gradient" {@code D = (1-d)(v - b)}, b the biased batch
   * variance; PyTorch uses the unbiased one, {@code b n/(n-1)}. Since {@code (1-d) b = (1-d) v -
   * D}, the unbiased step is {@code (n D - (1-d) v) / (n-1)}.
   */
  private void useUnbiasedBatchVariance(INDArray epsilon) {
    INDArray step = gradientViews.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
    if (step == null || layerConf().isUseLogStd()) {
      return; // log-std parameterisation (older configurations): DL4J's rule stays
    }
    long n = epsilon.length() / layerConf().getNOut();
    if (n < 2) {
      return;
    }
    INDArray variance = getParam(BatchNormalizationParamInitializer.GLOBAL_VAR);
    double keep = 1 - layerConf().getDecay();
    step.muli(n).subi(variance.mul(keep)).divi(n - 1);
  }

  /** The fused kernels' code for this layer, or -1 where DL4J's path must run. */
  private int fusedKind() {
    var conf = layerConf();
    if (!KernelPolicy.fusedBatchNorm()
        || conf.isLockGammaBeta()
        || conf.isUseLogStd()
        || conf.getCnn2DFormat() != CNN2DFormat.NCHW
        || dataType != DataType.FLOAT) {
      return -1;
    }
    return FusedBatchNorm.kindOf(activation());
  }

  private FusedState batchState(ChannelPlanes x) {
    int channels = x.channels();
    double[] mean = new double[channels];
    double[] variance = new double[channels];
    FusedBatchNorm.statistics(x, mean, variance);
    return FusedState.of(mean, variance, (long) x.batch() * x.plane(), this);
  }

  private FusedState runningState() {
    double[] mean = vector(BatchNormalizationParamInitializer.GLOBAL_MEAN);
    double[] variance = vector(BatchNormalizationParamInitializer.GLOBAL_VAR);
    return FusedState.of(mean, variance, 0, this);
  }

  private double[] vector(String param) {
    return getParam(param).castTo(DataType.DOUBLE).reshape(-1).toDoubleVector();
  }

  private Pair<Gradient, INDArray> fusedBackprop(
      FusedState state, INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    ChannelPlanes x = ChannelPlanes.of(input).orElseThrow();
    ChannelPlanes eps =
        ChannelPlanes.of(epsilon).filter(x::sameShape).orElseGet(() -> contiguous(epsilon, x));
    int channels = x.channels();
    int kind = fusedKind();
    double[] sumG = new double[channels];
    double[] sumGCentred = new double[channels];
    FusedBatchNorm.gradientSums(
        x, eps, state.scale, state.shift, kind, state.mean, sumG, sumGCentred);

    double count = state.count;
    double[] dGamma = new double[channels];
    float[] xCoefficient = new float[channels];
    float[] constant = new float[channels];
    for (int c = 0; c < channels; c++) {
      dGamma[c] = sumGCentred[c] * state.invStd[c];
      double k1 = -state.scale[c] * state.invStd[c] * dGamma[c] / count;
      xCoefficient[c] = (float) k1;
      constant[c] = (float) (-state.scale[c] * sumG[c] / count - k1 * state.mean[c]);
    }
    INDArray dx =
        workspaceMgr.createUninitialized(
            ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
    FusedBatchNorm.inputGradient(
        x, eps, state.scale, state.shift, kind, xCoefficient, constant, ChannelPlanes.of(dx).get());
    return new Pair<>(fusedGradient(state, dGamma, sumG), dx);
  }

  private ChannelPlanes contiguous(INDArray epsilon, ChannelPlanes x) {
    INDArray copy = epsilon.castTo(DataType.FLOAT).dup('c');
    return ChannelPlanes.of(copy)
        .filter(x::sameShape)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    layerId()
                        + ": epsilon "
                        + Arrays.toString(epsilon.shape())
                        + " for input "
                        + Arrays.toString(input.shape())));
  }

  /**
   * Gamma and beta get their gradients; the running statistics DL4J's "distributed safe" step
   * {@code (1-d)(running - batch)}, which the updater subtracts, with the unbiased batch variance
   * (PyTorch's rule).
   */
  private Gradient fusedGradient(FusedState state, double[] dGamma, double[] dBeta) {
    double keep = 1 - layerConf().getDecay();
    double[] runningMean = vector(BatchNormalizationParamInitializer.GLOBAL_MEAN);
    double[] runningVar = vector(BatchNormalizationParamInitializer.GLOBAL_VAR);
    double unbias = state.count > 1 ? state.count / (state.count - 1.0) : 1;
    int channels = dGamma.length;
    double[] meanStep = new double[channels];
    double[] varStep = new double[channels];
    for (int c = 0; c < channels; c++) {
      meanStep[c] = keep * (runningMean[c] - state.mean[c]);
      varStep[c] = keep * (runningVar[c] - state.variance[c] * unbias);
    }
    Gradient gradient = new DefaultGradient();
    setGradient(gradient, BatchNormalizationParamInitializer.GAMMA, dGamma);
    setGradient(gradient, BatchNormalizationParamInitializer.BETA, dBeta);
    setGradient(gradient, BatchNormalizationParamInitializer.GLOBAL_MEAN, meanStep);
    setGradient(gradient, BatchNormalizationParamInitializer.GLOBAL_VAR, varStep);
    return gradient;
  }

  private void setGradient(Gradient gradient, String param, double[] values) {
    INDArray view = gradientViews.get(param);
    view.assign(Nd4j.createFromArray(values).castTo(view.dataType()).reshape(view.shape()));
    gradient.setGradientFor(param, view);
  }

  @Override
  public void clear() {
    super.clear();
    normalized = null;
    fused = null;
  }

  /** Per-channel batch (or running) statistics and the affine map they make with gamma and beta. */
  private record FusedState(
      double[] mean, double[] variance, double[] invStd, float[] scale, float[] shift, long count) {
    static FusedState of(
        double[] mean, double[] variance, long count, BatchNormActivationLayer layer) {
      double[] gamma = layer.vector(BatchNormalizationParamInitializer.GAMMA);
      double[] beta = layer.vector(BatchNormalizationParamInitializer.BETA);
      double eps = layer.layerConf().getEps();
      int channels = mean.length;
      double[] invStd = new double[channels];
      float[] scale = new float[channels];
      float[] shift = new float[channels];
      for (int c = 0; c < channels; c++) {
        invStd[c] = 1 / Math.sqrt(variance[c] + eps);
        double a = gamma[c] * invStd[c];
        scale[c] = (float) a;
        shift[c] = (float) (beta[c] - mean[c] * a);
      }
      return new FusedState(mean, variance, invStd, scale, shift, count);
    }
  }
}
