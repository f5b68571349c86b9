package org.parameternet.model.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
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

/**
 * The runtime of {@link BatchNormActivation}: DL4J's batch norm (oneDNN where helpers are on), then
 * the activation; backprop runs the activation's derivative first, then the norm's.
 */
public class BatchNormActivationLayer extends BatchNormalization {
  /** The norm's output of the last training forward pass: the activation's backprop needs it. */
  private INDArray normalized;

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

  @Override
  public void clear() {
    super.clear();
    normalized = null;
  }
}
